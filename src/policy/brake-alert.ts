// The mail an admin gets when the compromised-account brake holds a
// credential's mail: what happened, what is held, and the two commands that
// decide (release, or change the password). Japanese first, then English,
// as our users read. Built with nodemailer's MailComposer.
import MailComposer from 'nodemailer/lib/mail-composer/index.js';

export interface BrakeAlert {
  readonly hostname: string;
  readonly to: string;
  /** "info@example.com" or "info@example.com (app password wordpress)". */
  readonly senderName: string;
  readonly user: string;
  readonly appPasswordLabel: string | undefined;
  readonly clientIp: string;
  /** "250 messages in the current window, normal 3.0, threshold 200". */
  readonly detail: string;
  readonly nowMs: number;
}

export async function buildBrakeAlert(alert: BrakeAlert): Promise<Buffer> {
  const unflag = `hikyaku user unflag ${alert.user}${alert.appPasswordLabel === undefined ? '' : ` --app-password ${alert.appPasswordLabel}`}`;
  const change =
    alert.appPasswordLabel === undefined
      ? `hikyaku user passwd ${alert.user}`
      : `hikyaku user app-password revoke ${alert.user} ${alert.appPasswordLabel}`;
  const text = [
    `${alert.senderName} が普段よりはるかに多くのメールを送り始めたため、送信を止めました (乗っ取り対策ブレーキ)。`,
    `この認証情報からの新しいメールはキューに保留され、送信されていません。`,
    ``,
    `  状況: ${alert.detail}`,
    `  接続元: ${alert.clientIp}`,
    ``,
    `正当な送信なら、保留を解除します:   ${unflag}`,
    `心当たりがなければ、パスワードを変えてから保留中のメールを削除してください:`,
    `  ${change}`,
    `  hikyaku queue list    (保留中のメールを確認)`,
    ``,
    `----`,
    ``,
    `${alert.senderName} started sending far more mail than its normal, so Hikyaku stopped it (compromised-account brake).`,
    `New mail from this credential is held in the queue and has not been sent.`,
    ``,
    `  What was seen: ${alert.detail}`,
    `  Client address: ${alert.clientIp}`,
    ``,
    `If the sending is legitimate, release it:   ${unflag}`,
    `If not, change the password first, then delete the held mail:`,
    `  ${change}`,
    `  hikyaku queue list    (shows the held messages)`,
  ].join('\n');
  const composer = new MailComposer({
    from: `Hikyaku <postmaster@${alert.hostname}>`,
    to: alert.to,
    subject: `[Hikyaku] 送信を保留しました / Mail held: ${alert.senderName}`,
    text,
    date: new Date(alert.nowMs),
    messageId: `<brake.${alert.nowMs}.${Math.random().toString(36).slice(2)}@${alert.hostname}>`,
    headers: { 'Auto-Submitted': 'auto-generated' },
  });
  return composer.compile().build();
}
