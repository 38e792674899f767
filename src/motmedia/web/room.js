// The room client: joins with the token from the URL fragment (never sent to the server
// in a URL), publishes camera and microphone, shows the others, mute and leave.
//
//   /app/room.html?room=<id>#token=<jwt>            join and publish
//   /app/room.html?room=<id>&mode=viewer#token=...  watch only (entrance monitors)
//
// Protocol: docs/conference.md. Two peer connections, as the server expects: "publish"
// (we offer) and "subscribe" (the server offers). SDP is sent complete (non-trickle).
import { apply, t, toggle } from "./i18n.js";

const params = new URLSearchParams(location.search);
const token = new URLSearchParams(location.hash.slice(1)).get("token");
const roomId = params.get("room");
const viewerMode = params.get("mode") === "viewer";

const $ = (id) => document.getElementById(id);
const tiles = new Map(); // participant identity -> {figure, video, stream}
const mids = new Map(); // subscribe transceiver mid -> participant identity
const state = { ws: null, publishPc: null, subscribePc: null, local: null, grants: {} };
window.motmedia = state; // for tests and debugging

function setStatus(key, extra = "") {
  $("status").dataset.i18n = key;
  $("status").textContent = t(key) + extra;
}

function newPc() {
  return new RTCPeerConnection({ iceServers: [] });
}

async function gathered(pc) {
  // Non-trickle: the server expects every candidate inside the SDP.
  if (pc.iceGatheringState === "complete") return;
  await new Promise((resolve) => {
    const check = () => {
      if (pc.iceGatheringState === "complete") {
        pc.removeEventListener("icegatheringstatechange", check);
        resolve();
      }
    };
    pc.addEventListener("icegatheringstatechange", check);
    setTimeout(resolve, 3000); // send what we have rather than hang
  });
}

function send(message) {
  if (state.ws?.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(message));
}

function tile(identity, name) {
  let entry = tiles.get(identity);
  if (!entry) {
    const figure = document.createElement("figure");
    figure.className = "tile";
    figure.dataset.participant = identity;
    const video = document.createElement("video");
    video.autoplay = true;
    video.playsInline = true;
    video.muted = true; // sound goes through the <audio> element below: autoplay allows it
    const audio = document.createElement("audio");
    audio.autoplay = true;
    const caption = document.createElement("figcaption");
    caption.textContent = name || identity;
    figure.append(video, audio, caption);
    $("tiles").append(figure);
    entry = { figure, video, audio, stream: new MediaStream() };
    video.srcObject = entry.stream;
    audio.srcObject = entry.stream;
    tiles.set(identity, entry);
  }
  $("empty").hidden = tiles.size > 0;
  return entry;
}

function removeTile(identity) {
  tiles.get(identity)?.figure.remove();
  tiles.delete(identity);
  $("empty").hidden = tiles.size > 0;
}

async function publish() {
  let media;
  try {
    media = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  } catch (err) {
    setStatus("noCamera");
    return;
  }
  state.local = media;
  $("local").srcObject = media;
  $("self").hidden = false;
  const pc = (state.publishPc = newPc());
  for (const track of media.getTracks()) pc.addTransceiver(track, { direction: "sendonly" });
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  send({ type: "publish", sdp: pc.localDescription.sdp });
  for (const button of [$("mic"), $("camera")]) button.hidden = false;
  renderButtons();
}

function renderButtons() {
  const audio = state.local?.getAudioTracks()[0];
  const video = state.local?.getVideoTracks()[0];
  $("mic").textContent = audio?.enabled === false ? t("unmute") : t("mute");
  $("mic").setAttribute("aria-pressed", String(audio?.enabled === false));
  $("camera").textContent = video?.enabled === false ? t("cameraOn") : t("cameraOff");
  $("camera").setAttribute("aria-pressed", String(video?.enabled === false));
  $("lang").textContent = t("switchTo");
}

async function onOffer(message) {
  for (const track of message.tracks) mids.set(track.mid, track.participant);
  const pc = state.subscribePc;
  await pc.setRemoteDescription({ type: "offer", sdp: message.sdp });
  await pc.setLocalDescription(await pc.createAnswer());
  await gathered(pc);
  send({ type: "answer", sdp: pc.localDescription.sdp });
}

async function onMessage(message) {
  switch (message.type) {
    case "joined":
      state.grants = message.grants;
      setStatus("connected");
      for (const p of message.participants) tile(p.identity, p.name);
      if (message.grants.publish && !viewerMode) await publish();
      else setStatus("viewer");
      break;
    case "answer":
      await state.publishPc.setRemoteDescription({ type: "answer", sdp: message.sdp });
      break;
    case "offer":
      await onOffer(message);
      break;
    case "participant_joined":
      tile(message.participant.identity, message.participant.name);
      break;
    case "participant_left":
      removeTile(message.participant.identity);
      break;
    case "room_closed":
      setStatus("closed");
      break;
    case "error":
      setStatus("error", `: ${message.code}`);
      break;
  }
}

function join() {
  apply();
  renderButtons();
  if (!token || !roomId) {
    setStatus("noToken");
    return;
  }
  const pc = (state.subscribePc = newPc());
  pc.addEventListener("track", (event) => {
    const identity = mids.get(event.transceiver.mid) ?? "?";
    const entry = tile(identity);
    entry.stream.addTrack(event.track);
    entry.video.play().catch(() => {});
    entry.audio.play().catch(() => {});
  });
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const url = `${scheme}//${location.host}/v1/rooms/${encodeURIComponent(roomId)}/signal`;
  // The token travels as a subprotocol: not in the URL, so not in any access log.
  state.ws = new WebSocket(url, ["motmedia-signal", token]);
  state.ws.addEventListener("message", (event) => onMessage(JSON.parse(event.data)));
  state.ws.addEventListener("close", () => {
    if ($("status").dataset.i18n !== "left") setStatus("closed");
  });
}

function leave() {
  send({ type: "leave" });
  state.ws?.close();
  state.local?.getTracks().forEach((track) => track.stop());
  state.publishPc?.close();
  state.subscribePc?.close();
  for (const identity of [...tiles.keys()]) removeTile(identity);
  $("self").hidden = true;
  setStatus("left");
}

$("mic").addEventListener("click", () => {
  const track = state.local?.getAudioTracks()[0];
  if (track) track.enabled = !track.enabled;
  renderButtons();
});
$("camera").addEventListener("click", () => {
  const track = state.local?.getVideoTracks()[0];
  if (track) track.enabled = !track.enabled;
  renderButtons();
});
$("leave").addEventListener("click", leave);
$("lang").addEventListener("click", () => {
  toggle();
  renderButtons();
});
join();
