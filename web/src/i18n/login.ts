import { defineText } from './i18n.js';

export const loginText = defineText({
  ja: {
    title: '管理画面にログイン',
    name: '管理者名',
    password: 'パスワード',
    totp: '確認コード（認証アプリの 6 桁）',
    submit: 'ログイン',
    submitting: '確認しています…',
    badCredentials: '管理者名、パスワード、または確認コードが正しくありません。',
    totpRequired: '認証アプリに表示されている 6 桁の確認コードを入力してください。',
    throttled: 'ログインの失敗が続いたため、一時的に受け付けを停止しています。{seconds} 秒ほど待ってからもう一度お試しください。',
    failed: 'ログインできませんでした（{message}）。',
    hint: '管理者はサーバーで hikyaku admin add 名前 を実行して作成します。',
  },
  en: {
    title: 'Log in to the console',
    name: 'Admin name',
    password: 'Password',
    totp: 'Verification code (6 digits from your authenticator app)',
    submit: 'Log in',
    submitting: 'Checking…',
    badCredentials: 'Wrong admin name, password or verification code.',
    totpRequired: 'Enter the 6-digit code shown in your authenticator app.',
    throttled: 'Too many failed logins: logins are paused for now. Try again in about {seconds} seconds.',
    failed: 'Could not log in ({message}).',
    hint: 'Admins are created on the server with: hikyaku admin add NAME',
  },
});
