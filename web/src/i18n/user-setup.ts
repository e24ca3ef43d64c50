import { defineText } from './i18n.js';

export const userSetupText = defineText({
  ja: {
    title: '{address} のメールソフト設定',
    intro: 'メールソフトや WordPress (WP Mail SMTP) に次のとおり入力してください。日本語と英語の両方を並べています。',
    setting: '項目',
    value: '値',
    notes: '補足',
    autoconfig: '自動設定',
    thunderbird: 'Thunderbird 用の設定ファイル (config-v1.1.xml)',
    mobileconfig: 'iPhone・iPad・Mac 用のプロファイル (.mobileconfig)',
    autoconfigOff: 'このドメインの自動設定は提供していません (送信ドメインでないか、autoconfig.enabled が false です)。',
    notFound: 'このユーザーは見つかりません。',
    back: 'ユーザー一覧へ戻る',
  },
  en: {
    title: 'Mail-client settings for {address}',
    intro: 'Type these into the mail client or into WordPress (WP Mail SMTP). Each row is shown in Japanese and English.',
    setting: 'Setting',
    value: 'Value',
    notes: 'Notes',
    autoconfig: 'Autoconfiguration',
    thunderbird: 'Thunderbird configuration file (config-v1.1.xml)',
    mobileconfig: 'Profile for iPhone, iPad and Mac (.mobileconfig)',
    autoconfigOff: 'No autoconfiguration is served for this domain (not a sending domain, or autoconfig.enabled is false).',
    notFound: 'There is no such user.',
    back: 'Back to the users',
  },
});
