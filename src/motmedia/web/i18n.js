// Every user-facing string, in Japanese and English. The language follows the browser
// (navigator.language) until the user picks one with the toggle; the choice is kept.
const STRINGS = {
  ja: {
    title: "映像会議", connecting: "接続中…", connected: "接続しました", you: "あなた",
    waiting: "他の参加者を待っています", leave: "退出", left: "退出しました",
    mute: "マイクをミュート", unmute: "ミュート解除", cameraOff: "カメラを停止",
    cameraOn: "カメラを開始", viewer: "視聴のみ", noToken: "参加用トークンがありません",
    noCamera: "カメラ・マイクを使用できません", closed: "会議は終了しました",
    error: "エラー", joined: "が参加しました", leftRoom: "が退出しました", switchTo: "English",
  },
  en: {
    title: "Video meeting", connecting: "Connecting…", connected: "Connected", you: "You",
    waiting: "Waiting for others to join", leave: "Leave", left: "You left the room",
    mute: "Mute", unmute: "Unmute", cameraOff: "Stop camera", cameraOn: "Start camera",
    viewer: "Watching only", noToken: "No join token", noCamera: "Camera or microphone unavailable",
    closed: "The room has closed", error: "Error", joined: " joined", leftRoom: " left",
    switchTo: "日本語",
  },
};

let lang = localStorage.getItem("motmedia.lang")
  || ((navigator.language || "ja").toLowerCase().startsWith("ja") ? "ja" : "en");

export function t(key) {
  return STRINGS[lang][key] ?? STRINGS.en[key] ?? key;
}

export function language() {
  return lang;
}

export function apply(root = document) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
}

export function toggle() {
  lang = lang === "ja" ? "en" : "ja";
  localStorage.setItem("motmedia.lang", lang);
  apply();
}
