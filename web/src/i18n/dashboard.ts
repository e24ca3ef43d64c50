import { defineText } from './i18n.js';

export const dashboardText = defineText({
  ja: {
    title: 'ダッシュボード',
    queue: '送信待ちのキュー',
    queueSize: '送信待ちのメッセージ',
    queueCount: '{count} 通',
    oldest: 'いちばん古いメッセージ',
    oldestNone: 'なし（キューは空です）',
    oldestAt: '{time}（{age}）',
    updated: '{time} 時点の情報（自動更新）',
  },
  en: {
    title: 'Dashboard',
    queue: 'Queue',
    queueSize: 'Messages waiting',
    queueCount: '{count}',
    oldest: 'Oldest message',
    oldestNone: 'none (the queue is empty)',
    oldestAt: '{time} ({age})',
    updated: 'As of {time} (updates automatically)',
  },
});
