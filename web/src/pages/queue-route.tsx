// /queue → the list; /queue/<id> → one message (one route line in app.tsx).
import { MessagePage } from './message.js';
import { QueuePage } from './queue.js';

export function QueueRoute({ params }: { readonly params: { readonly id?: string | undefined } }) {
  return params.id === undefined ? <QueuePage /> : <MessagePage id={decodeURIComponent(params.id)} />;
}
