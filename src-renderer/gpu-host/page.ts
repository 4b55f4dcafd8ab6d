/**
 * The hidden GPU window's page (see gpu-worker.ts). Each connection it is handed — a training run or an engine
 * check in the worker process — gets a dedicated worker of its own, so a run's GPU memory goes with its worker.
 *
 * Connections arrive one of two ways: in the desktop app the GPU window's preload (src-preload/gpu-host.ts) posts a
 * MessagePort whose other end is in the worker process; under test, `?relay=ws://127.0.0.1:PORT` names a relay
 * (scripts/chromium-gpu-host.ts) that says "session:N" on a control socket for each worker process that connects,
 * and the page pipes a WebSocket to that session through a MessageChannel. The worker sees a MessagePort either way.
 */
const connectMessage = 'gpu-host:connect';

function startWorker(port: MessagePort): void {
  const worker = new Worker(new URL('./gpu-worker.ts', import.meta.url), {
    type: 'module',
    name: 'Autoencoder Studio GPU trainer',
  });
  // A worker that fails to load or throws at top level closes its end of the port with it; the other side sees it.
  worker.postMessage(null, [port]);
}

window.addEventListener('message', (event) => {
  if (event.source === window && event.data === connectMessage && event.ports[0]) startWorker(event.ports[0]);
});

/** Pipes one relay session (a WebSocket of frames) to a new worker through a MessageChannel. */
function relaySession(url: string): void {
  const socket = new WebSocket(url);
  socket.binaryType = 'arraybuffer';
  const channel = new MessageChannel();
  const pending: ArrayBuffer[] = [];
  socket.onopen = () => {
    for (const frame of pending.splice(0)) socket.send(frame);
  };
  socket.onmessage = (event) => channel.port1.postMessage(event.data, [event.data as ArrayBuffer]);
  socket.onclose = () => channel.port1.close();
  channel.port1.onmessage = (event) => {
    if (socket.readyState === WebSocket.OPEN) socket.send(event.data as ArrayBuffer);
    else pending.push(event.data as ArrayBuffer);
  };
  // The worker (and with it the port's other end) went: end the session, so the worker process hears of it.
  channel.port1.addEventListener('close', () => socket.close());
  startWorker(channel.port2);
}

const relay = new URLSearchParams(location.search).get('relay');
if (relay && /^ws:\/\/127\.0\.0\.1:\d+$/.test(relay)) {
  const control = new WebSocket(`${relay}/host`);
  control.onmessage = (event) => {
    const session = /^session:(\d+)$/.exec(String(event.data));
    if (session) relaySession(`${relay}/session/${session[1]}`);
  };
  control.onopen = () => (document.body.dataset.relay = 'connected');
}
document.body.dataset.ready = 'true';
