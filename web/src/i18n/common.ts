import { defineText } from './i18n.js';

export const commonText = defineText({
  ja: {
    appName: '飛脚 Hikyaku',
    nav: 'メインメニュー',
    navDashboard: 'ダッシュボード',
    language: '表示言語',
    logout: 'ログアウト',
    loggedInAs: '{name} でログイン中',
    loading: '読み込んでいます…',
    loadFailed: 'データを読み込めませんでした（{message}）。しばらくしてから再読み込みしてください。',
    notFound: 'このページは見つかりません。',
    backToDashboard: 'ダッシュボードに戻る',
    skipToContent: '本文へ移動',
    navQueue: 'キュー',
  },
  en: {
    appName: 'Hikyaku',
    nav: 'Main menu',
    navDashboard: 'Dashboard',
    language: 'Language',
    logout: 'Log out',
    loggedInAs: 'Logged in as {name}',
    loading: 'Loading…',
    loadFailed: 'Could not load the data ({message}). Reload the page in a moment.',
    notFound: 'There is no such page.',
    backToDashboard: 'Back to the dashboard',
    skipToContent: 'Skip to content',
    navQueue: 'Queue',
  },
});
