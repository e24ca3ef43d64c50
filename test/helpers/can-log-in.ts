// Whether a login works on a running server, as a mail client would find out:
// nodemailer over STARTTLS on the submission port, AUTH, nothing sent.
import nodemailer from 'nodemailer';

export async function canLogIn(port: number, user: string, pass: string): Promise<boolean> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, requireTLS: true, auth: { user, pass }, tls: { rejectUnauthorized: false } });
  try {
    await transport.verify();
    return true;
  } catch {
    return false;
  } finally {
    transport.close();
  }
}
