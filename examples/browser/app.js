// rxvoice browser client (no build step). Speaks protocol v1 (docs/server.md): JSON `start`, PCM16 16 kHz
// microphone frames up, reply audio and JSON events down, `playback` reports of what was really heard.
const RATE = 16000;
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

let call;

function setStatus(text, state) {
  $('status').textContent = text;
  $('status').dataset.state = state;
}

function bubble(role, turnId) {
  const id = `${role}-${turnId}`;
  let li = document.getElementById(id);
  if (!li) {
    li = document.createElement('li');
    li.id = id;
    li.className = role;
    li.dataset.turn = turnId;
    $('conversation').append(li);
  }
  return li;
}

function latencyRow(turnId) {
  let row = document.getElementById(`latency-${turnId}`);
  if (!row) {
    row = document.createElement('tr');
    row.id = `latency-${turnId}`;
    row.innerHTML = `<td>${turnId}</td><td class="server">…</td><td class="client">…</td>`;
    $('latency').tBodies[0].append(row);
  }
  return row;
}

function updateAudioStats() {
  const el = $('audio-stats');
  el.dataset.receivedMs = String(Math.round(call.receivedMs));
  el.dataset.playedMs = String(Math.round(call.playedMs));
  el.textContent = `reply audio: ${Math.round(call.receivedMs)} ms received, ${Math.round(call.playedMs)} ms played`;
}

function onEvent(event) {
  switch (event.type) {
    case 'started':
      setStatus(`live (${event.pipeline})`, 'live');
      break;
    case 'transcript': {
      const li = bubble('user', event.turnId);
      li.textContent = event.text;
      li.classList.toggle('partial', !event.final);
      break;
    }
    case 'speech.ended':
      call.speechEndedAt.set(event.turnId, performance.now());
      break;
    case 'assistant.text': {
      const li = bubble('assistant', event.turnId);
      li.textContent += event.delta;
      break;
    }
    case 'assistant.done': {
      const li = bubble('assistant', event.turnId);
      if (!li.textContent) li.textContent = event.text;
      break;
    }
    case 'audio.start':
      call.audioTurn = event.turnId;
      break;
    case 'reply.cancel':
    case 'interruption':
      call.player.port.postMessage({ type: 'clear', turnId: event.turnId });
      bubble('assistant', event.turnId).classList.add('interrupted');
      break;
    case 'reply.resume':
      bubble('assistant', event.turnId).classList.remove('interrupted');
      break;
    case 'metric':
      if (event.name === 'first_audio_out') latencyRow(event.turnId).querySelector('.server').textContent = `${Math.round(event.valueMs)} ms`;
      break;
    case 'error':
      $('errors').textContent = `${event.code}: ${event.message}`;
      break;
    case 'shutdown':
      setStatus('server shutting down', 'error');
      break;
    default:
      break;
  }
}

function onAudio(buffer) {
  const turnId = call.audioTurn;
  if (!call.firstAudioSeen.has(turnId)) {
    call.firstAudioSeen.add(turnId);
    const ended = call.speechEndedAt.get(turnId);
    if (ended !== undefined) latencyRow(turnId).querySelector('.client').textContent = `${Math.round(performance.now() - ended)} ms`;
  }
  call.receivedMs += (buffer.byteLength / 2 / RATE) * 1000;
  call.player.port.postMessage({ type: 'audio', turnId, buffer }, [buffer]);
  updateAudioStats();
}

async function startCall() {
  $('start').disabled = true;
  setStatus('starting…', 'idle');
  const context = new AudioContext({ sampleRate: RATE });
  await context.audioWorklet.addModule('capture-worklet.js');
  await context.audioWorklet.addModule('playback-worklet.js');
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
  });
  const mic = context.createMediaStreamSource(stream);
  const capture = new AudioWorkletNode(context, 'pcm-capture', { processorOptions: { frameSamples: RATE / 50 } });
  const mute = context.createGain();
  mute.gain.value = 0; // the capture node must be pulled by the graph, but the mic must not be heard
  mic.connect(capture).connect(mute).connect(context.destination);
  const player = new AudioWorkletNode(context, 'pcm-player', { numberOfInputs: 0, outputChannelCount: [1] });
  player.connect(context.destination);
  await context.resume();

  const token = params.get('token');
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/stream${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  call = { ws, context, stream, player, started: false, audioTurn: undefined, receivedMs: 0, playedMs: 0, speechEndedAt: new Map(), firstAudioSeen: new Set(), played: new Map() };

  ws.onopen = () => {
    ws.send(JSON.stringify({ type: 'start', version: 1, format: { encoding: 'pcm16', sampleRate: RATE }, pipeline: $('pipeline').value }));
    call.started = true;
    $('stop').disabled = false;
  };
  ws.onmessage = (message) => {
    if (typeof message.data === 'string') onEvent(JSON.parse(message.data));
    else onAudio(message.data);
  };
  ws.onclose = (close) => {
    setStatus(`ended (${close.code}${close.reason ? `: ${close.reason}` : ''})`, close.code === 1000 ? 'idle' : 'error');
    teardown();
  };
  capture.port.onmessage = (message) => {
    if (call?.started && ws.readyState === WebSocket.OPEN) ws.send(message.data);
  };
  player.port.onmessage = (message) => {
    const { turnId, playedMs, done } = message.data;
    if (turnId === undefined) return;
    const before = call.played.get(turnId) ?? 0;
    call.played.set(turnId, playedMs);
    call.playedMs += Math.max(0, playedMs - before);
    updateAudioStats();
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'playback', turnId, playedMs: Math.round(playedMs), ...(done ? { done: true } : {}) }));
  };
}

function teardown() {
  if (!call) return;
  call.stream.getTracks().forEach((track) => track.stop());
  void call.context.close();
  $('start').disabled = false;
  $('stop').disabled = true;
}

$('start').onclick = () => startCall().catch((err) => {
  setStatus('could not start', 'error');
  $('errors').textContent = String(err?.message ?? err);
  $('start').disabled = false;
});
$('stop').onclick = () => {
  if (call?.ws.readyState === WebSocket.OPEN) call.ws.send(JSON.stringify({ type: 'stop' }));
};
if (params.get('pipeline')) $('pipeline').value = params.get('pipeline');
if (params.get('autostart') === '1') $('start').click();
