/*
 * xiaoer shopper chat widget: one <script> tag on a merchant's page.
 *
 *   <script src="https://<rasa>/webhooks/widget/static/xiaoer-widget.js"
 *           data-key="web" data-token="<signed shopper token, or empty for a visitor>"
 *           data-locale="zh" async></script>
 *
 * The server's address comes from the script's own src, and the socket client
 * (xiaoer-chat.js) is loaded from beside it. Everything is drawn inside an open
 * shadow root, styled by a constructed stylesheet: the host page's CSS cannot reach
 * in, ours cannot leak out, and no inline <style> or handler is needed (strict CSP).
 *
 * Page API (window.XiaoerWidget):
 *   mount({ token, locale, open })  (re)starts the widget, e.g. after the shopper logs in
 *   unmount()                       removes it
 *   open() / close()                shows or hides the chat panel
 *   session()                       { conversation_id, shopper_id } once connected
 *   timing()                        { rendered, ready }: ms from navigation start to the
 *                                   launcher on screen, and to the conversation loaded
 * It also dispatches window events "xiaoer:session" and "xiaoer:state" (detail = data).
 *
 * Server data is only ever put in the page with textContent; links are built as
 * elements with an http(s) href, never by parsing HTML.
 */
(function (window, document) {
  "use strict";
  if (window.XiaoerWidget && window.XiaoerWidget.version) return;   // the tag twice: keep one
  var perf = window.performance;
  if (perf && perf.mark) perf.mark("xiaoer-widget:start");

  var TAG = document.currentScript;
  var SRC = TAG && TAG.src ? TAG.src : "";
  // http://host:5005/webhooks/widget/static/xiaoer-widget.js → http://host:5005
  var SERVER = SRC.replace(/\/webhooks\/widget\/static\/[^\/]*$/, "") || location.origin;
  var STATIC = SRC.replace(/[^\/]*$/, "") || SERVER + "/webhooks/widget/static/";

  var MAX_CHARS = 1000;
  var MAX_IMAGE_BYTES = 2 * 1024 * 1024;
  var IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp"];
  var BOT_TYPING_MS = 12000;         // no reply by then: stop pretending someone types
  var AGENT_TYPING_MS = 4000;        // the console repeats its signal while the agent types
  var TYPING_SIGNAL_MS = 2500;       // how often the agent hears "the shopper is typing"
  var STAMP_GAP_S = 5 * 60;          // a time stamp above a message after 5 quiet minutes
  var HISTORY_PAGE = 200;            // the server's page size for "history"
  var EMOJI = ["😀", "😂", "😊", "😍", "🤔", "😅", "😭", "😡", "👍", "👌", "🙏", "👏",
               "❤️", "🎉", "🌹", "💰", "📦", "🚚", "⏰", "✅", "❌", "❓", "😘", "🤝"];
  // Sent to the bot as they are, so they stay Chinese in every locale (the bot speaks Chinese).
  var SUGGESTIONS = ["我的快递到哪了", "查一下我的订单", "七天无理由怎么退", "转人工"];

  // Every string the widget itself shows, in one place.
  var STRINGS = {
    zh: {
      launcher: "联系客服", launcherUnread: "联系客服，{n} 条新消息", closePanel: "收起客服窗口",
      botName: "智能客服 小二", botBadge: "机器人", humanBadge: "真人",
      humanName: "人工客服 {name}", humanServing: "人工客服 {name} 为您服务",
      connecting: "正在连接…", online: "在线", reconnecting: "网络波动，正在重新连接…",
      offline: "网络已断开：恢复后会自动发送您的消息", refused: "登录已失效，请刷新页面重新登录",
      queueAhead: "排队中：您前面还有 {n} 位", queueNext: "排队中：下一位就是您", eta: "，预计等待约 {m} 分钟",
      transferring: "正在为您转接人工客服，请稍候…", assigned: "客服已接入，马上为您服务",
      requeued: "正在为您重新安排客服，请稍候…", leftMessage: "已留言，客服上线后会尽快回复您",
      welcome: "亲，您好！我是小二，有什么可以帮您？", suggestions: "猜你想问",
      log: "聊天记录", placeholder: "请输入您的问题（Enter 发送）", inputLabel: "输入消息",
      send: "发送", emoji: "表情", emojiPanel: "选择表情", image: "发送图片",
      imageTooLarge: "图片不能超过 2MB 哦，请压缩后再发~", imageType: "只能发送 JPG、PNG 或 WebP 图片哦~",
      imageUnreadable: "这张图片读取失败了，请换一张试试~",
      sending: "发送中", queued: "等待网络", sent: "已送达", read: "已读", failed: "发送失败", retry: "重发",
      gaveUp: "网络不太稳定，这条消息没有发出去，可以点「重发」再试一次~",
      botTyping: "小二正在输入…", agentTyping: "{name}正在输入…", agent: "客服",
      you: "我：", bot: "小二：", system: "系统消息：",
      ratingTitle: "请为本次人工服务打分", star: "{n} 星", stars: "服务评分", comment: "评价内容",
      commentHint: "说说您的感受（选填）", submitRating: "提交评价", pickStars: "请先选择星级哦~",
      ratingFailed: "网络不太稳定，请稍后再提交~",
      orderCard: "订单", orderNo: "订单号", sku: "规格", price: "实付", logistics: "物流信息",
      trackingNo: "运单号", moreEvents: "查看全部 {n} 条", fewerEvents: "收起",
      image_alt: "图片", myImage: "我发送的图片", yesterday: "昨天"
    },
    en: {
      launcher: "Chat with us", launcherUnread: "Chat with us, {n} new", closePanel: "Minimise chat",
      botName: "Xiaoer (assistant)", botBadge: "Bot", humanBadge: "Human",
      humanName: "Agent {name}", humanServing: "Agent {name} is serving you",
      connecting: "Connecting…", online: "Online", reconnecting: "Connection unstable, reconnecting…",
      offline: "Offline: your messages will be sent when you are back", refused: "Your login expired, please reload the page",
      queueAhead: "In line: {n} ahead of you", queueNext: "In line: you are next", eta: ", about {m} min",
      transferring: "Connecting you to an agent…", assigned: "An agent will be with you shortly",
      requeued: "Finding another agent for you…", leftMessage: "Message left: an agent will reply soon",
      welcome: "Hello! I am Xiaoer. How can I help?", suggestions: "Popular questions",
      log: "Conversation", placeholder: "Type a message (Enter to send)",
      inputLabel: "Message", send: "Send", emoji: "Emoji", emojiPanel: "Pick an emoji", image: "Send a photo",
      imageTooLarge: "Images must be 2 MB or smaller.", imageType: "Only JPG, PNG or WebP images.",
      imageUnreadable: "This image could not be read.",
      sending: "Sending", queued: "Waiting for network", sent: "Delivered", read: "Read", failed: "Not sent",
      gaveUp: "This message could not be sent. Use Retry to try again.",
      retry: "Retry", botTyping: "Xiaoer is typing…", agentTyping: "{name} is typing…", agent: "Agent",
      you: "Me: ", bot: "Xiaoer: ", system: "Notice: ",
      ratingTitle: "Please rate this conversation", star: "{n} star", stars: "Rating", comment: "Comment",
      commentHint: "Tell us more (optional)", submitRating: "Submit", pickStars: "Please pick a rating first.",
      ratingFailed: "Network problem, please try again.",
      orderCard: "Order", orderNo: "Order no.", sku: "Spec", price: "Paid", logistics: "Shipping",
      trackingNo: "Tracking no.", moreEvents: "Show all {n}", fewerEvents: "Show less",
      image_alt: "Image", myImage: "My photo", yesterday: "Yesterday"
    }
  };

  var CSS = [
    // The host page may style our host element (even `* { all: unset !important }`):
    // !important rules of the shadow tree win over the page's, for the host itself.
    ":host{all:initial!important;display:block!important;position:fixed!important;right:0!important;",
    "bottom:0!important;width:0!important;height:0!important;z-index:2147483000!important;",
    "visibility:visible!important;opacity:1!important;transform:none!important;pointer-events:auto!important}",
    "*,*::before,*::after{box-sizing:border-box}",
    "[hidden]{display:none!important}",
    ".xw{font:14px/1.5 -apple-system,BlinkMacSystemFont,'PingFang SC','Hiragino Sans GB','Microsoft YaHei',",
    "'Noto Sans CJK SC','Noto Sans SC',sans-serif;color:#1f1f1f;-webkit-font-smoothing:antialiased;text-align:left}",
    "button,textarea,input{font:inherit;color:inherit;margin:0}",
    "button{cursor:pointer}",
    ":focus-visible{outline:3px solid #1a73e8;outline-offset:2px}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    // Launcher
    ".launcher{position:fixed;right:20px;bottom:20px;width:60px;height:60px;border:0;border-radius:50%;",
    "background:#d9251d;color:#fff;box-shadow:0 6px 20px rgba(0,0,0,.25);display:flex;align-items:center;",
    "justify-content:center;transition:transform .15s}",
    ".launcher:hover{transform:scale(1.06)}",
    ".launcher svg{width:30px;height:30px;fill:currentColor}",
    ".badge{position:absolute;top:-2px;right:-2px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;",
    "background:#fff;color:#b3180f;font-size:12px;font-weight:700;line-height:22px;box-shadow:0 1px 4px rgba(0,0,0,.3)}",
    // Panel
    ".panel{position:fixed;right:20px;bottom:92px;width:380px;height:min(640px,calc(100vh - 112px));",
    "background:#f4f4f5;border-radius:16px;box-shadow:0 12px 40px rgba(0,0,0,.25);display:flex;",
    "flex-direction:column;overflow:hidden}",
    "header{display:flex;align-items:center;gap:10px;padding:12px 12px 12px 16px;background:#d9251d;color:#fff}",
    "header.human{background:#8a4b08}",
    ".avatar{flex:none;width:36px;height:36px;border-radius:50%;display:flex;align-items:center;",
    "justify-content:center;font-weight:700;background:#fff;color:#b3180f}",
    "header.human .avatar{color:#8a4b08}",
    ".who{flex:1;min-width:0}",
    ".name{font-weight:700;font-size:15px;display:flex;align-items:center;gap:6px}",
    ".tag{font-size:11px;font-weight:700;padding:0 6px;border-radius:8px;background:#fff;color:#b3180f}",
    "header.human .tag{color:#8a4b08}",
    ".state{font-size:12px;opacity:.95;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}",
    ".close{flex:none;width:36px;height:36px;border:0;border-radius:50%;background:transparent;color:#fff;",
    "font-size:24px;line-height:1}",
    ".close:hover{background:rgba(255,255,255,.18)}",
    ".banner{padding:8px 14px;font-size:13px;background:#fff7e0;color:#6b4400;border-bottom:1px solid #f1dfae}",
    ".banner.offline{background:#fdecea;color:#8c1d13;border-color:#f5c2bd}",
    // Messages
    ".log{flex:1;overflow-y:auto;padding:14px 12px;display:flex;flex-direction:column;gap:10px;overscroll-behavior:contain}",
    ".row{display:flex;gap:8px;align-items:flex-start;max-width:100%}",
    ".row.user{flex-direction:row-reverse}",
    ".row.system{justify-content:center}",
    ".row .avatar{width:30px;height:30px;font-size:13px;background:#d9251d;color:#fff}",
    ".row.agent .avatar{background:#8a4b08}",
    ".body{display:flex;flex-direction:column;gap:3px;max-width:78%;min-width:0}",
    ".row.user .body{align-items:flex-end}",
    ".msg{padding:9px 12px;border-radius:14px;white-space:pre-wrap;word-break:break-word;background:#fff;",
    "box-shadow:0 1px 1px rgba(0,0,0,.06)}",
    ".msg.user{background:#d9251d;color:#fff;border-top-right-radius:4px}",
    ".msg.user a{color:#fff}",
    ".msg.bot,.msg.agent{border-top-left-radius:4px}",
    ".msg.agent{background:#fff8ee;border:1px solid #f0d2ad}",
    ".msg a{color:#0b57d0;text-decoration:underline;word-break:break-all}",
    ".msg .who{display:block;font-size:12px;color:#7a4206;margin-bottom:2px}",
    ".msg.system{background:transparent;box-shadow:none;color:#595959;font-size:12px;text-align:center;padding:2px 8px}",
    ".msg.system.joined{background:#fff3e0;color:#7a4206;border-radius:12px;padding:6px 12px;font-weight:600}",
    ".msg.card{padding:0;background:transparent;box-shadow:none;white-space:normal}",
    ".msg.image{padding:4px;background:transparent;box-shadow:none}",
    ".msg img.photo{display:block;max-width:200px;max-height:220px;border-radius:10px;background:#e5e5e5}",
    ".meta{font-size:11px;color:#666;display:flex;gap:6px;align-items:center}",
    ".meta .failed{color:#b3180f}",
    ".meta button{border:0;background:none;color:#0b57d0;text-decoration:underline;padding:0;font-size:11px}",
    ".row.stamped{flex-wrap:wrap}.stamp{width:100%;text-align:center;font-size:11px;color:#666;margin:4px 0}",
    ".choices{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px;white-space:normal}",
    ".choices button{border:1px solid #d9251d;color:#b3180f;background:#fff;border-radius:16px;padding:4px 12px;",
    "font-size:13px;text-align:left}",
    ".choices button:hover{background:#fdecea}",
    ".welcome{background:#fff;border-radius:14px;padding:12px;box-shadow:0 1px 1px rgba(0,0,0,.06)}",
    ".welcome p{margin:0 0 4px}",
    ".welcome .hint{font-size:12px;color:#666;margin-top:8px}",
    ".notice{align-self:center;font-size:12px;color:#8c1d13;background:#fdecea;border-radius:10px;padding:4px 10px}",
    // Cards
    ".order,.track{width:260px;background:#fff;border-radius:12px;overflow:hidden;box-shadow:0 1px 3px rgba(0,0,0,.1)}",
    ".order .top{display:flex;gap:10px;padding:10px}",
    ".thumb{flex:none;width:64px;height:64px;border-radius:8px;background:linear-gradient(135deg,#ffe1dc,#ffd0a8);",
    "display:flex;align-items:center;justify-content:center;color:#c8553d;overflow:hidden}",
    ".thumb svg{width:34px;height:34px;fill:currentColor}",
    ".thumb img{width:100%;height:100%;object-fit:cover}",
    ".order .info{min-width:0;flex:1;display:flex;flex-direction:column;gap:2px}",
    ".order .title{font-weight:600;display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden}",
    ".order .sku{font-size:12px;color:#666}",
    ".order .price{font-weight:700;color:#b3180f}",
    ".order .foot,.track .head{display:flex;justify-content:space-between;gap:8px;align-items:center;",
    "padding:8px 10px;border-top:1px solid #eee;font-size:12px;color:#555}",
    ".order .no{font-size:11px;font-variant-numeric:tabular-nums}",
    ".chip{flex:none;font-size:12px;font-weight:600;color:#8a4b08;background:#fff1dc;border-radius:10px;padding:1px 8px}",
    ".track .head{border:0;border-bottom:1px solid #eee;flex-wrap:wrap}",
    ".track .carrier{font-weight:700;color:#1f1f1f;font-size:13px}",
    ".track ol{list-style:none;margin:0;padding:10px 12px 4px 12px}",
    ".track li{position:relative;padding:0 0 12px 18px;border-left:2px solid #e3e3e3;margin-left:5px}",
    ".track li:last-child{border-left-color:transparent}",
    ".track li::before{content:'';position:absolute;left:-7px;top:3px;width:12px;height:12px;border-radius:50%;",
    "background:#c4c4c4;border:2px solid #fff}",
    ".track li.latest::before{background:#d9251d}",
    ".track li.latest .desc{color:#1f1f1f;font-weight:600}",
    ".track .desc{font-size:13px;color:#444}",
    ".track .when{font-size:11px;color:#666}",
    ".track .more{display:block;width:100%;border:0;border-top:1px solid #eee;background:#fff;padding:8px;color:#0b57d0;font-size:12px}",
    // Typing, rating
    ".typing{padding:0 16px 6px;font-size:12px;color:#555;min-height:0}",
    ".dots::after{content:'';display:inline-block;width:1.2em;text-align:left;animation:dots 1.2s steps(4) infinite}",
    "@keyframes dots{0%{content:''}25%{content:'.'}50%{content:'..'}75%{content:'...'}}",
    ".rating{align-self:center;width:90%;background:#fffbe6;border:1px solid #f0dc9a;border-radius:12px;",
    "padding:10px 12px;display:flex;flex-direction:column;gap:8px;text-align:center}",
    ".rating .starbar{display:flex;justify-content:center;gap:4px}",
    ".rating .starbar button{border:0;background:none;font-size:26px;line-height:1;color:#8f8f8f;padding:2px}",
    ".rating .starbar button[aria-pressed=true]{color:#c77700}",
    ".rating textarea{border:1px solid #ccc;border-radius:8px;padding:6px 8px;resize:none;background:#fff}",
    ".rating .submit{border:0;border-radius:16px;background:#d9251d;color:#fff;padding:6px 12px;font-weight:600}",
    // Composer
    "form{position:relative;background:#fff;border-top:1px solid #e6e6e6;padding:8px 10px 10px}",
    ".tools{display:flex;align-items:center;gap:4px;margin-bottom:4px}",
    ".tools button{width:34px;height:34px;border:0;border-radius:8px;background:none;color:#444;display:flex;",
    "align-items:center;justify-content:center;font-size:20px}",
    ".tools button:hover{background:#f0f0f0}",
    ".tools svg{width:22px;height:22px;fill:currentColor}",
    ".counter{margin-left:auto;font-size:11px;color:#666}",
    ".counter.warn{color:#b3180f;font-weight:700}",
    ".line{display:flex;gap:8px;align-items:flex-end}",
    "textarea.text{flex:1;border:1px solid #d0d0d0;border-radius:10px;padding:8px 10px;resize:none;",
    "max-height:120px;min-height:40px;line-height:1.45;background:#fafafa;outline-offset:0}",
    "textarea.text:focus{border-color:#d9251d;background:#fff}textarea.text:focus-visible{outline:2px solid #d9251d;outline-offset:1px}",
    ".send{flex:none;height:40px;border:0;border-radius:10px;background:#d9251d;color:#fff;font-weight:700;padding:0 16px}",
    ".send:disabled{background:#ccc;color:#333;cursor:default}",
    ".emoji{position:absolute;left:10px;bottom:100%;margin-bottom:6px;background:#fff;border-radius:12px;",
    "box-shadow:0 6px 24px rgba(0,0,0,.2);padding:8px;display:grid;grid-template-columns:repeat(8,34px);gap:2px}",
    ".emoji button{width:34px;height:34px;border:0;border-radius:8px;background:none;font-size:20px}",
    ".emoji button:hover,.emoji button:focus{background:#f3f3f3}",
    // Phones: the panel takes the screen, the launcher hides behind it.
    "@media (max-width:520px){.panel{right:0;bottom:0;width:100vw;height:100vh;height:100dvh;border-radius:0}",
    ".xw.open .launcher{display:none}.body{max-width:84%}.order,.track{width:240px}",
    "form{padding-bottom:calc(10px + env(safe-area-inset-bottom))}}",
    "@media (prefers-reduced-motion:reduce){.launcher{transition:none}.dots::after{animation:none;content:'…'}}"
  ].join("");

  var ICONS = {
    chat: "M12 3C6.5 3 2 6.9 2 11.7c0 2.7 1.4 5.1 3.7 6.7L5 22l4.2-2.3c.9.2 1.8.3 2.8.3 5.5 0 10-3.9 10-8.7S17.5 3 12 3zm-4 10a1.3 1.3 0 110-2.6A1.3 1.3 0 018 13zm4 0a1.3 1.3 0 110-2.6 1.3 1.3 0 010 2.6zm4 0a1.3 1.3 0 110-2.6 1.3 1.3 0 010 2.6z",
    image: "M19 4H5a2 2 0 00-2 2v12a2 2 0 002 2h14a2 2 0 002-2V6a2 2 0 00-2-2zm0 14H5V6h14v12zm-5.5-6.5L10 16l-2.5-3L5 17h14l-5.5-5.5zM8.5 10a1.5 1.5 0 100-3 1.5 1.5 0 000 3z",
    parcel: "M21 7.5l-9-5-9 5v9l9 5 9-5v-9zM12 4.8l5.9 3.2L12 11.3 6.1 8 12 4.8zM5 9.7l6 3.3v6.5l-6-3.3V9.7zm8 9.8V13l6-3.3v6.5l-6 3.3z",
    smile: "M12 2a10 10 0 100 20 10 10 0 000-20zm0 18a8 8 0 110-16 8 8 0 010 16zm-3.5-9a1.5 1.5 0 100-3 1.5 1.5 0 000 3zm7 0a1.5 1.5 0 100-3 1.5 1.5 0 000 3zM12 17.5c2.3 0 4.3-1.5 5-3.5H7c.7 2 2.7 3.5 5 3.5z"
  };

  var widget = null;     // the mounted instance (one per page)
  var rendered = null;   // ms from navigation start to the first launcher
  var ready = null;      // … to the first conversation loaded and ready to send

  // ---------------------------------------------------------------- small helpers

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "text") node.textContent = value;
      else if (name === "class") node.className = value;
      else node.setAttribute(name, value === true ? "" : value);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function icon(name) {
    var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", ICONS[name]);
    svg.appendChild(path);
    return svg;
  }

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) {
      return values && values[key] !== undefined ? values[key] : "";
    });
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function clock(at) {
    var d = new Date(at * 1000);
    return pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function stampText(at, t) {
    var d = new Date(at * 1000), now = new Date();
    var day = function (x) { return new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime(); };
    var days = Math.round((day(now) - day(d)) / 86400000);
    if (days === 0) return clock(at);
    if (days === 1) return t.yesterday + " " + clock(at);
    return (d.getMonth() + 1) + "-" + d.getDate() + " " + clock(at);
  }

  function randomId() {
    var bytes = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return "c" + Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function storage(kind) {
    try { return window[kind]; } catch (e) { return null; }   // blocked in some sandboxes
  }

  function load(kind, key, fallback) {
    var store = storage(kind);
    try { return JSON.parse(store.getItem(key)) || fallback; } catch (e) { return fallback; }
  }

  function save(kind, key, value) {
    var store = storage(kind);
    try { if (store) store.setItem(key, JSON.stringify(value)); } catch (e) { /* full or blocked */ }
  }

  // Only http(s) links and server paths become URLs; everything else stays text.
  function safeUrl(value) {
    if (typeof value !== "string") return null;
    if (/^https?:\/\//i.test(value)) return value;
    if (/^\/[^\/\\]/.test(value)) return SERVER + value;
    return null;
  }

  var URL_PATTERN = /https?:\/\/[^\s<>"'\u3000-\u303f\uff01-\uff0f\uff1a-\uff20]+/g;

  // Text with its web addresses as real links (built as elements, never as HTML).
  function linkify(value) {
    var text = String(value), fragment = document.createDocumentFragment();
    var last = 0;
    text.replace(URL_PATTERN, function (match, offset) {
      var url = match.replace(/[.,;:!?)\]]+$/, "");
      fragment.appendChild(document.createTextNode(text.slice(last, offset)));
      fragment.appendChild(el("a", { href: url, target: "_blank", rel: "noopener noreferrer nofollow", text: url }));
      last = offset + url.length;
      return match;
    });
    fragment.appendChild(document.createTextNode(text.slice(last)));
    return fragment;
  }

  // ---------------------------------------------------------------- the widget

  function Widget(config) {
    this.config = config;
    this.t = STRINGS[config.locale] || STRINGS.zh;
    this.rows = { byId: {}, byClient: {} };
    this.userRows = [];
    this.lastId = 0;
    this.lastReplyId = 0;        // the newest bot or agent message: what came before it was read
    this.outbox = [];
    this.sending = null;
    this.session = null;
    this.mode = "bot";           // bot | waiting | human
    this.agentName = "";
    this.queue = null;           // the latest place in line
    this.connection = "connecting";
    this.unread = 0;
    this.titles = {};            // button payload → the title the shopper clicked
    this.rated = load("localStorage", "xiaoer-rated", []);
    this.build();
  }

  Widget.prototype.build = function () {
    var t = this.t, self = this;
    this.host = el("xiaoer-widget", { id: "xiaoer-widget", "data-state": "connecting" });
    var root = this.root = this.host.attachShadow({ mode: "open" });
    if (root.adoptedStyleSheets !== undefined && window.CSSStyleSheet && CSSStyleSheet.prototype.replaceSync) {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } else {
      root.appendChild(el("style", { text: CSS }));
    }
    this.launcher = el("button", { type: "button", class: "launcher", "aria-label": t.launcher,
                                   "aria-expanded": "false", "aria-controls": "xw-panel" }, [icon("chat")]);
    this.badge = el("span", { class: "badge", hidden: true, "aria-hidden": "true" });
    this.launcher.appendChild(this.badge);
    this.launcher.addEventListener("click", function () { self.toggle(); });

    this.panel = el("section", { id: "xw-panel", class: "panel", role: "dialog", "aria-modal": "false",
                                 "aria-labelledby": "xw-name", hidden: true });
    this.panel.appendChild(this.buildHeader());
    this.banner = el("div", { class: "banner", role: "status", hidden: true });
    this.log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
                           "aria-label": t.log, tabindex: "0" });
    this.typing = el("div", { class: "typing", "aria-live": "polite" });
    this.panel.appendChild(this.banner);
    this.panel.appendChild(this.log);
    this.panel.appendChild(this.typing);
    this.panel.appendChild(this.buildComposer());
    this.panel.addEventListener("keydown", function (event) { self.onPanelKey(event); });
    this.log.appendChild(this.buildWelcome());

    this.frame = el("div", { class: "xw", lang: this.config.locale === "en" ? "en" : "zh-CN" },
                    [this.panel, this.launcher]);
    root.appendChild(this.frame);
    (document.body || document.documentElement).appendChild(this.host);
    this.renderHeader();
  };

  Widget.prototype.buildHeader = function () {
    var self = this;
    this.avatar = el("div", { class: "avatar", "aria-hidden": "true" });
    this.name = el("div", { class: "name", id: "xw-name" });
    this.state = el("div", { class: "state" });
    this.head = el("header", {}, [this.avatar, el("div", { class: "who" }, [this.name, this.state])]);
    var close = el("button", { type: "button", class: "close", "aria-label": this.t.closePanel, text: "×" });
    close.addEventListener("click", function () { self.close(); });
    this.head.appendChild(close);
    return this.head;
  };

  Widget.prototype.buildWelcome = function () {
    var self = this, t = this.t;
    var chips = el("div", { class: "choices" });
    SUGGESTIONS.forEach(function (text) {
      var button = el("button", { type: "button", text: text });
      button.addEventListener("click", function () { self.queueText(text, text); });
      chips.appendChild(button);
    });
    var box = el("div", { class: "welcome", "data-seq": "-1" },
                 [el("p", { text: t.welcome }), el("div", { class: "hint", text: t.suggestions }), chips]);
    box.seq = -1;
    return box;
  };

  Widget.prototype.buildComposer = function () {
    var self = this, t = this.t;
    this.text = el("textarea", { id: "text", class: "text", rows: "1", maxlength: String(MAX_CHARS),
                                 placeholder: t.placeholder, "aria-label": t.inputLabel,
                                 "aria-describedby": "xw-counter", enterkeyhint: "send" });
    this.counter = el("span", { id: "xw-counter", class: "counter", "aria-live": "off" });
    this.sendButton = el("button", { type: "submit", class: "send", text: t.send, disabled: true });
    this.file = el("input", { type: "file", accept: IMAGE_TYPES.join(","), hidden: true, tabindex: "-1",
                              "aria-hidden": "true" });
    var emojiButton = el("button", { type: "button", "aria-label": t.emoji, title: t.emoji,
                                     "aria-expanded": "false", "aria-controls": "xw-emoji" }, [icon("smile")]);
    var imageButton = el("button", { type: "button", class: "attach", "aria-label": t.image, title: t.image },
                         [icon("image")]);
    this.emojiButton = emojiButton;
    this.emoji = this.buildEmoji();
    var form = el("form", { "aria-label": t.inputLabel }, [
      this.emoji,
      el("div", { class: "tools" }, [emojiButton, imageButton, this.file, this.counter]),
      el("div", { class: "line" }, [this.text, this.sendButton])
    ]);
    this.composing = false;
    form.addEventListener("submit", function (event) { event.preventDefault(); self.submitText(); });
    this.text.addEventListener("keydown", function (event) { self.onTextKey(event); });
    // IME (pinyin): Enter picks a candidate; it must never send the half-typed text.
    this.text.addEventListener("compositionstart", function () { self.composing = true; });
    this.text.addEventListener("compositionend", function () { self.composing = false; });
    this.text.addEventListener("input", function () { self.onTextInput(); });
    this.text.addEventListener("paste", function (event) { self.onPaste(event); });
    emojiButton.addEventListener("click", function () { self.toggleEmoji(); });
    imageButton.addEventListener("click", function () { self.file.click(); });
    this.file.addEventListener("change", function () {
      var chosen = self.file.files && self.file.files[0];
      self.file.value = "";
      if (chosen) self.queueImage(chosen);
    });
    this.onTextInput();
    return form;
  };

  Widget.prototype.buildEmoji = function () {
    var self = this;
    var grid = el("div", { id: "xw-emoji", class: "emoji", role: "group", "aria-label": this.t.emojiPanel, hidden: true });
    EMOJI.forEach(function (symbol) {
      var button = el("button", { type: "button", text: symbol, "aria-label": symbol });
      button.addEventListener("click", function () { self.insertText(symbol); self.toggleEmoji(false); });
      grid.appendChild(button);
    });
    return grid;
  };

  // ---------------------------------------------------------------- panel, keyboard

  Widget.prototype.toggle = function () { if (this.isOpen) this.close(); else this.open(); };

  Widget.prototype.open = function () {
    this.isOpen = true;
    this.panel.hidden = false;
    this.frame.classList.add("open");
    this.launcher.setAttribute("aria-expanded", "true");
    this.unread = 0;
    this.renderBadge();
    this.scrollDown(true);
    if (window.matchMedia && window.matchMedia("(max-width:520px)").matches) this.log.focus();
    else this.text.focus();
    if (this.chat && this.connection === "offline") this.chat.reconnect();   // try now, not at the next back-off step
  };

  Widget.prototype.close = function () {
    this.isOpen = false;
    this.panel.hidden = true;
    this.toggleEmoji(false);
    this.frame.classList.remove("open");
    this.launcher.setAttribute("aria-expanded", "false");
    this.launcher.focus();
  };

  Widget.prototype.onPanelKey = function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      if (!this.emoji.hidden) { this.toggleEmoji(false); this.emojiButton.focus(); } else this.close();
      return;
    }
    if (event.key !== "Tab") return;
    // Keep Tab inside the open panel (Escape leaves it).
    var focusable = Array.prototype.filter.call(
      this.panel.querySelectorAll("button, textarea, input, a[href], [tabindex='0']"),
      function (node) { return !node.disabled && node.getClientRects().length && node.tabIndex >= 0; });
    if (!focusable.length) return;
    var first = focusable[0], last = focusable[focusable.length - 1];
    var active = this.root.activeElement;
    if (event.shiftKey && active === first) { event.preventDefault(); last.focus(); }
    else if (!event.shiftKey && active === last) { event.preventDefault(); first.focus(); }
  };

  Widget.prototype.onTextKey = function (event) {
    if (event.key !== "Enter" || event.shiftKey) return;          // Shift+Enter: a new line
    // Chrome marks IME keys isComposing; Safari ends the composition first but still sends keyCode 229.
    if (event.isComposing || this.composing || event.keyCode === 229) return;
    event.preventDefault();
    this.submitText();
  };

  Widget.prototype.onTextInput = function () {
    var length = this.text.value.length;
    this.counter.textContent = length + "/" + MAX_CHARS;
    this.counter.classList.toggle("warn", length >= MAX_CHARS * 0.9);
    this.sendButton.disabled = !this.text.value.trim();
    this.signalTyping();
    // Grow with the text up to the CSS max-height (CSSOM, so CSP-safe).
    this.text.style.height = "auto";
    this.text.style.height = Math.min(this.text.scrollHeight + 2, 120) + "px";
  };

  // A person on the other side sees that the shopper is writing (the bot does not care).
  Widget.prototype.signalTyping = function () {
    var now = Date.now();
    if (this.mode === "bot" || !this.text.value || !this.chat || this.connection !== "online" ||
        now - (this.typingSent || 0) < TYPING_SIGNAL_MS) return;
    this.typingSent = now;
    this.chat.request("typing", {}).catch(function () { /* only a hint */ });
  };

  Widget.prototype.insertText = function (symbol) {
    var input = this.text;
    var start = input.selectionStart || 0, end = input.selectionEnd || 0;
    if (input.value.length - (end - start) + symbol.length > MAX_CHARS) return;
    input.setRangeText(symbol, start, end, "end");
    input.focus();
    this.onTextInput();
  };

  Widget.prototype.toggleEmoji = function (show) {
    var visible = show === undefined ? this.emoji.hidden : show;
    this.emoji.hidden = !visible;
    this.emojiButton.setAttribute("aria-expanded", String(visible));
    if (visible) this.emoji.querySelector("button").focus();
  };

  Widget.prototype.onPaste = function (event) {
    var items = event.clipboardData && event.clipboardData.files;
    if (items && items.length && /^image\//.test(items[0].type)) {
      event.preventDefault();
      this.queueImage(items[0]);
    }
  };

  // ---------------------------------------------------------------- connection

  Widget.prototype.connect = function () {
    var self = this;
    var visitor = load("sessionStorage", "xiaoer-visitor", null);
    if (!visitor) { visitor = "w" + randomId(); save("sessionStorage", "xiaoer-visitor", visitor); }
    this.chat = window.XiaoerChat.connect({
      url: SERVER,
      auth: { token: this.config.token || null, visitor_id: visitor, key: this.config.key || "web" },
      onMessage: function (message) { self.onLive(message); },
      onEvent: function (name, data) { self.onEvent(name, data); },
      onSession: function (session) { self.onSession(session); },
      onState: function (state, detail) { self.onState(state, detail); }
    });
  };

  Widget.prototype.onState = function (state, detail) {
    this.connection = state;
    this.ready = false;              // until the session and the catch-up are done
    this.host.setAttribute("data-ready", "false");
    this.refusal = state === "refused" && detail && detail.data ? detail.data.message : null;
    this.host.setAttribute("data-state", state);
    if (state !== "online") this.markWaiting();
    this.text.disabled = state === "refused";      // nothing typed now could ever be sent
    this.renderHeader();
    dispatch("xiaoer:state", { state: state });
  };

  Widget.prototype.onSession = function (session) {
    var self = this;
    var conversationChanged = this.session && this.session.conversation_id !== session.conversation_id;
    this.session = session;
    this.host.setAttribute("data-shopper", session.shopper_id || "");
    if (conversationChanged) this.outbox = [];
    this.restoreOutbox();
    dispatch("xiaoer:session", session);
    this.catchUp().then(function () {
      if (ready === null) { ready = perf && perf.now ? perf.now() : 0; if (perf && perf.mark) perf.mark("xiaoer-widget:ready"); }
      self.ready = true;
      self.host.setAttribute("data-ready", "true");
      self.flush();
    });
  };

  // What was said while we were away, from the server's log (also after a reload).
  Widget.prototype.catchUp = function () {
    var self = this;
    // From before the oldest unconfirmed message: its stored copy (with our client_id)
    // proves it arrived even when the bot's replies already moved lastId past it.
    var after = this.outbox.reduce(function (low, item) { return Math.min(low, item.after); }, this.lastId);
    function page(from) {
      return self.chat.request("history", { after: from }).then(function (reply) {
        var messages = (reply && reply.messages) || [];
        messages.forEach(function (m) { self.render(m, false); });
        if (messages.length >= HISTORY_PAGE) return page(messages[messages.length - 1].id);
      });
    }
    return page(after).catch(function () { /* offline again: the next session retries */ });
  };

  Widget.prototype.onLive = function (message) {
    this.render(message, true);
  };

  Widget.prototype.onEvent = function (name, data) {
    if (!data) return;
    if (name === "chat_message") this.render(data, true);
    else if (name === "handoff_state") this.onHandoff(data);
    else if (name === "typing" && data.sender === "agent") this.showTyping("agent");
  };

  // ---------------------------------------------------------------- sending

  Widget.prototype.submitText = function () {
    var text = this.text.value.trim();
    if (!text) return;
    this.text.value = "";
    this.onTextInput();
    this.toggleEmoji(false);
    this.queueText(text, text);
  };

  // payload: what the server gets; shown: what the bubble says (a button's title).
  Widget.prototype.queueText = function (payload, shown) {
    var item = { kind: "text", client_id: randomId(), text: payload, shown: shown,
                 at: Date.now() / 1000, after: this.lastId };
    this.outbox.push(item);
    this.saveOutbox();
    this.userRow(item);
    this.flush();
  };

  Widget.prototype.queueImage = function (file) {
    var self = this, t = this.t;
    if (IMAGE_TYPES.indexOf(file.type) < 0) { this.notice(t.imageType); return; }
    if (file.size > MAX_IMAGE_BYTES) { this.notice(t.imageTooLarge); return; }
    var reader = new FileReader();
    reader.onload = function () {
      var data = String(reader.result).replace(/^data:[^,]*,/, "");
      var item = { kind: "image", client_id: randomId(), name: file.name || "image", type: file.type,
                   data: data, preview: URL.createObjectURL(file), at: Date.now() / 1000, after: self.lastId };
      self.outbox.push(item);          // kept in memory only: too big for sessionStorage
      self.userRow(item);
      self.flush();
    };
    reader.onerror = function () { self.notice(t.imageUnreadable); };
    reader.readAsDataURL(file);
  };

  // Sends the outbox one message at a time, in order (the server handles events concurrently).
  Widget.prototype.flush = function () {
    var self = this;
    if (this.sending || !this.ready || !this.chat || this.chat.state() !== "online") return;
    var item = this.outbox[0];
    if (!item) return;
    this.sending = item;
    item.modeAtSend = this.mode;
    this.setRowState(item.client_id, "sending");
    var request = item.kind === "image"
      ? this.chat.request("upload_image", { client_id: item.client_id, name: item.name, type: item.type, data: item.data })
      : this.chat.send(item.text, item.client_id);
    if (item.kind === "text") { this.awaitingReply = true; this.showTyping("bot"); }
    request.then(function (ack) {
      self.sending = null;
      self.settle(item, ack || { ok: false });
      self.flush();
    }, function () {
      // Disconnected before the answer: keep it; the next session confirms it or sends it
      // again. A message the connection died on three times may be what kills it (too big
      // for a proxy, say): give up on it rather than loop, and let the shopper retry.
      self.sending = null;
      self.hideTyping("bot");
      item.drops = (item.drops || 0) + 1;
      if (item.drops < 3) { self.setRowState(item.client_id, "queued"); return; }
      self.dropFromOutbox(item.client_id);
      self.setRowState(item.client_id, "failed", item);
      self.notice(self.t.gaveUp);
    });
  };

  Widget.prototype.settle = function (item, ack) {
    this.dropFromOutbox(item.client_id);
    if (ack.ok) {
      this.confirm(item.client_id, ack.id);
      // The server knows who has the chat; a page restored from history may not. (Only a
      // mode from before sending counts: this very message may have started a handoff.)
      if (ack.to_human === false && item.modeAtSend !== "bot" && item.kind === "text") this.setMode("bot");
      else if (ack.to_human && this.mode === "bot") this.setMode("waiting");
      // With Redis between replicas the bot's replies may arrive just after the ack.
      if (ack.to_human || item.kind === "image" || !this.awaitingReply) this.hideTyping("bot");
      else this.typingUntil("bot", 2500);
    } else {
      this.hideTyping("bot");
      this.setRowState(item.client_id, "failed", item);
      if (ack.message) this.notice(ack.message);
    }
  };

  Widget.prototype.retry = function (item) {
    item.after = this.lastId;
    item.drops = 0;
    this.outbox.push(item);
    this.saveOutbox();
    this.setRowState(item.client_id, "queued");
    this.flush();
  };

  Widget.prototype.dropFromOutbox = function (clientId) {
    this.outbox = this.outbox.filter(function (item) { return item.client_id !== clientId; });
    this.saveOutbox();
  };

  Widget.prototype.outboxKey = function () {
    return this.session ? "xiaoer-outbox:" + this.session.conversation_id : null;
  };

  Widget.prototype.saveOutbox = function () {
    var key = this.outboxKey();
    if (!key) return;
    save("sessionStorage", key, this.outbox.filter(function (item) { return item.kind === "text"; })
      .map(function (item) {
        return { kind: "text", client_id: item.client_id, text: item.text, shown: item.shown, at: item.at, after: item.after };
      }));
  };

  // Messages typed before a reload (or before the first connection) join this conversation's outbox.
  Widget.prototype.restoreOutbox = function () {
    var self = this;
    var stored = load("sessionStorage", this.outboxKey(), []);
    stored.forEach(function (item) {
      if (self.rows.byClient[item.client_id]) return;
      self.outbox.push(item);
      self.userRow(item);
    });
    this.outbox.sort(function (a, b) { return a.at - b.at; });
    this.saveOutbox();
  };

  // ---------------------------------------------------------------- rendering messages

  // One message from the server, live or from history; shown once whatever the route.
  Widget.prototype.render = function (m, live) {
    var sender = m.sender || "bot";
    if (m.id && this.rows.byId[m.id]) return;
    if (sender === "shopper" && m.client_id && this.rows.byClient[m.client_id]) {
      this.dropFromOutbox(m.client_id);
      this.confirm(m.client_id, m.id);
      return;
    }
    if (m.id) this.lastId = Math.max(this.lastId, m.id);
    var row = null;
    if (sender === "shopper") row = this.userRow(m);
    else if (sender === "system") row = this.systemRow(m, live);
    else row = this.replyRow(m, sender);
    if (!row) return;
    if (m.id) this.rows.byId[m.id] = row;
    if (sender === "bot" || sender === "agent") {
      if (sender === "bot") this.awaitingReply = false;
      this.lastReplyId = Math.max(this.lastReplyId, m.id || 0);
      this.markRead(m.id);
      this.hideTyping(sender);
    }
    if (live && sender !== "shopper" && !this.isOpen) { this.unread += 1; this.renderBadge(); }
  };

  Widget.prototype.userRow = function (m) {
    var t = this.t;
    var text = m.shown || this.titles[m.text] || m.text || "";
    var image = m.preview || safeUrl(m.image);
    var bubble = image ? el("div", { class: "msg user image" }, [this.photo(image, t.myImage)])
                       : el("div", { class: "msg user" }, [linkify(text)]);
    var row = this.row("user", bubble, m.at, t.you, m.id);
    row.meta.appendChild(row.status = el("span", { class: "status" }));
    if (m.client_id) this.rows.byClient[m.client_id] = row;
    row.state = m.id ? "sent" : "sending";
    if (m.id) row.setAttribute("data-id", m.id);
    this.userRows.push(row);
    this.paintState(row);
    if (!m.id && this.connection !== "online") this.setRowState(m.client_id, "queued");
    return row;
  };

  Widget.prototype.replyRow = function (m, sender) {
    var t = this.t;
    var custom = m.custom && typeof m.custom === "object" ? m.custom : null;
    var card = custom && custom.type === "order_card" ? this.orderCard(custom)
             : custom && custom.type === "logistics" ? this.logisticsCard(custom) : null;
    var image = safeUrl(m.image);
    var buttons = Array.isArray(m.buttons) ? m.buttons : [];
    if (!m.text && !card && !image && !buttons.length) return null;   // nothing a shopper can read
    var bubble = el("div", { class: "msg " + sender + (card && !m.text ? " card" : "") + (image && !m.text ? " image" : "") });
    if (sender === "agent") {
      bubble.appendChild(el("span", { class: "who", text: format(t.humanName, { name: m.agent_name || t.agent }) }));
    }
    if (m.text) bubble.appendChild(linkify(m.text));
    if (image) bubble.appendChild(this.photo(image, t.image_alt));
    if (card) bubble.appendChild(card);
    if (buttons.length) bubble.appendChild(this.choices(buttons));
    var avatar = el("div", { class: "avatar", "aria-hidden": "true",
                             text: sender === "agent" ? (m.agent_name || t.agent).charAt(0) : "二" });
    var who = sender === "agent" ? format(t.humanName, { name: m.agent_name || "" }) + "：" : t.bot;
    return this.row(sender, bubble, m.at, who, m.id, avatar);
  };

  Widget.prototype.systemRow = function (m, live) {
    var event = m.event;
    var bubble = el("div", { class: "msg system" + (event === "joined" ? " joined" : ""), text: m.text || "" });
    var row = this.row("system", bubble, m.at, this.t.system, m.id);
    row.meta.remove();
    this.onNotice(m, live);
    return row;
  };

  // The row around a bubble: avatar, bubble, time and (for the shopper) delivery state.
  Widget.prototype.row = function (kind, bubble, at, label, id, avatar) {
    var when = at || Date.now() / 1000;
    var meta = el("div", { class: "meta" }, [el("time", { datetime: new Date(when * 1000).toISOString(), text: clock(when) })]);
    var row = el("div", { class: "row " + kind }, [
      avatar || null,
      el("div", { class: "body" }, [el("span", { class: "sr", text: label }), bubble, meta])
    ]);
    row.meta = meta;
    row.at = when;
    row.seq = id || this.lastId + 0.5;
    if (id) row.setAttribute("data-id", id);
    this.place(row);
    return row;
  };

  // Rows stay in server order even when history arrives after newer live messages.
  Widget.prototype.place = function (row) {
    var before = null;
    for (var node = this.log.lastElementChild; node; node = node.previousElementSibling) {
      if (node.seq === undefined || node.seq <= row.seq) break;
      before = node;
    }
    var previous = before ? before.previousElementSibling : this.log.lastElementChild;
    if (!row.classList.contains("stamped") && (!previous || !previous.at || row.at - previous.at > STAMP_GAP_S)) {
      row.insertBefore(el("div", { class: "stamp", text: stampText(row.at, this.t) }), row.firstChild);
      row.classList.add("stamped");
    }
    var follow = this.atBottom();
    this.log.insertBefore(row, before);
    if (follow || row.classList.contains("user")) this.scrollDown(true);
  };

  Widget.prototype.photo = function (src, alt) {
    var link = el("a", { href: src, target: "_blank", rel: "noopener noreferrer" });
    link.appendChild(el("img", { class: "photo", src: src, alt: alt, loading: "lazy" }));
    var self = this;
    var follow = true;
    link.firstChild.addEventListener("load", function () { if (follow) self.scrollDown(true); follow = false; });
    return link;
  };

  Widget.prototype.choices = function (buttons) {
    var self = this;
    var row = el("div", { class: "choices" });
    buttons.forEach(function (b) {
      if (!b || typeof b.title !== "string" || typeof b.payload !== "string") return;
      self.titles[b.payload] = b.title;
      var button = el("button", { type: "button", text: b.title });
      button.addEventListener("click", function () { self.queueText(b.payload, b.title); });
      row.appendChild(button);
    });
    return row;
  };

  Widget.prototype.orderCard = function (c) {
    var t = this.t;
    var thumb = el("div", { class: "thumb", "aria-hidden": "true" });
    var picture = safeUrl(c.image);
    if (picture) thumb.appendChild(el("img", { src: picture, alt: "" }));
    else thumb.appendChild(icon("parcel"));      // the order API has no product pictures yet
    var price = c.price ? (/^[¥￥]/.test(c.price) ? c.price : "¥" + c.price) : "";
    var info = el("div", { class: "info" }, [
      el("div", { class: "title", text: c.title || "" }),
      c.sku ? el("div", { class: "sku", text: t.sku + "：" + c.sku }) : null,
      price ? el("div", { class: "price", text: t.price + " " + price }) : null
    ]);
    return el("article", { class: "order", "aria-label": t.orderCard + " " + (c.order_no || ""), "data-order": c.order_no || "" }, [
      el("div", { class: "top" }, [thumb, info]),
      el("div", { class: "foot" }, [
        el("span", { class: "no", text: t.orderNo + " " + (c.order_no || "") }),
        c.status_label ? el("span", { class: "chip", text: c.status_label }) : null
      ])
    ]);
  };

  Widget.prototype.logisticsCard = function (c) {
    var t = this.t, self = this;
    var events = Array.isArray(c.events) ? c.events : [];
    var list = el("ol", { "aria-label": t.logistics });
    events.forEach(function (e, index) {
      if (!e) return;
      // Carriers often repeat the place in the text already.
      var where = e.location && String(e.description || "").indexOf(e.location) < 0 ? "【" + e.location + "】" : "";
      list.appendChild(el("li", { class: index === 0 ? "latest" : "", hidden: index >= 3 },
                          [el("div", { class: "desc", text: where + (e.description || "") }),
                           el("div", { class: "when", text: e.time || "" })]));
    });
    var card = el("article", { class: "track", "aria-label": t.logistics + " " + (c.tracking_no || ""),
                               "data-order": c.order_no || "" }, [
      el("div", { class: "head" }, [
        el("span", { class: "carrier", text: c.carrier || t.logistics }),
        el("span", { class: "no", text: t.trackingNo + " " + (c.tracking_no || "") })
      ]),
      list
    ]);
    if (events.length > 3) {
      var more = el("button", { type: "button", class: "more", "aria-expanded": "false",
                                text: format(t.moreEvents, { n: events.length }) });
      more.addEventListener("click", function () {
        var expand = more.getAttribute("aria-expanded") !== "true";
        Array.prototype.forEach.call(list.children, function (li, i) { li.hidden = !expand && i >= 3; });
        more.setAttribute("aria-expanded", String(expand));
        more.textContent = expand ? t.fewerEvents : format(t.moreEvents, { n: events.length });
        self.scrollDown(false);
      });
      card.appendChild(more);
    }
    return card;
  };

  Widget.prototype.notice = function (text) {
    var note = el("div", { class: "notice", role: "alert", text: text });
    note.seq = this.lastId + 0.75;  // local: after what is known now
    note.at = Date.now() / 1000;
    this.log.appendChild(note);
    this.scrollDown(true);
  };

  // Follow new messages only while the shopper is at the bottom (not reading back).
  Widget.prototype.atBottom = function () {
    var log = this.log;
    return log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  };

  Widget.prototype.scrollDown = function (always) {
    if (always || this.atBottom()) this.log.scrollTop = this.log.scrollHeight;
  };

  // ---------------------------------------------------------------- delivery state

  Widget.prototype.confirm = function (clientId, id) {
    var row = this.rows.byClient[clientId];
    if (!row) return;
    if (id) {
      this.rows.byId[id] = row;
      this.lastId = Math.max(this.lastId, id);
      row.setAttribute("data-id", id);
      if (row.seq !== id) { row.seq = id; this.log.removeChild(row); this.place(row); }
    }
    if (row.state !== "read") row.state = row.seq < this.lastReplyId ? "read" : "sent";
    this.paintState(row);
  };

  Widget.prototype.setRowState = function (clientId, state, item) {
    var row = this.rows.byClient[clientId];
    if (!row || row.state === "sent" || row.state === "read") return;
    row.state = state;
    row.item = item || row.item;
    this.paintState(row);
  };

  // Unsent messages wait for the network rather than pretend to be on their way.
  Widget.prototype.markWaiting = function () {
    var self = this;
    this.outbox.forEach(function (item) { if (item !== self.sending) self.setRowState(item.client_id, "queued"); });
  };

  // A reply after a message means someone (bot or agent) has read it.
  Widget.prototype.markRead = function (id) {
    var self = this;
    if (!id) return;
    this.userRows.forEach(function (row) {
      if (row.state === "sent" && row.seq < id) { row.state = "read"; self.paintState(row); }
    });
  };

  Widget.prototype.paintState = function (row) {
    var t = this.t, self = this;
    row.setAttribute("data-state", row.state);
    row.status.textContent = t[row.state] || "";
    row.status.className = "status" + (row.state === "failed" ? " failed" : "");
    if (row.state === "failed" && row.item) {
      var again = el("button", { type: "button", text: t.retry });
      again.addEventListener("click", function () { self.retry(row.item); });
      row.status.appendChild(document.createTextNode(" "));
      row.status.appendChild(again);
    }
  };

  // ---------------------------------------------------------------- who is answering

  Widget.prototype.onNotice = function (m, live) {
    var event = m.event;
    if (event === "handoff" || event === "transferred" || event === "released") this.setMode("waiting");
    else if (event === "joined") { this.agentName = m.agent_name || ""; this.setMode("human"); }
    else if (event === "left_message") this.setMode("waiting", { type: "left_message" });
    else if (event === "cancelled") this.setMode("bot");
    else if (event === "resolved") {
      this.setMode("bot");
      if (m.ticket_id) this.askRating(m.ticket_id, m.id);
    }
    if (live && event === "joined") this.hideTyping("bot");
  };

  Widget.prototype.onHandoff = function (update) {
    var type = update.type;
    if (type === "queued" || type === "position" || type === "requeued" || type === "left_message") {
      this.setMode("waiting", update);
    } else if (type === "assigned" || type === "active") {
      this.setMode(this.agentName ? "human" : "waiting", update);
    } else if (type === "resolved" || type === "abandoned") {
      this.setMode("bot");
    }
  };

  Widget.prototype.setMode = function (mode, update) {
    this.mode = mode;
    this.queue = mode === "waiting" ? (update || this.queue || null) : null;
    if (mode !== "human" && mode !== "waiting") this.agentName = "";
    this.host.setAttribute("data-mode", mode);
    this.renderHeader();
  };

  Widget.prototype.renderHeader = function () {
    var t = this.t;
    var human = this.mode === "human";
    this.head.className = human ? "human" : "";
    this.avatar.textContent = human ? (this.agentName || t.agent).charAt(0) : "二";
    this.name.textContent = "";
    this.name.appendChild(document.createTextNode(human ? format(t.humanName, { name: this.agentName }) : t.botName));
    this.name.appendChild(el("span", { class: "tag", text: human ? t.humanBadge : t.botBadge }));
    this.state.textContent = human ? format(t.humanServing, { name: this.agentName })
      : this.connection === "online" ? t.online : (t[this.connection] || t.connecting);
    this.renderBanner();
  };

  Widget.prototype.renderBanner = function () {
    var t = this.t, text = "", offline = false;
    if (this.connection === "refused") { text = this.refusal || t.refused; offline = true; }
    else if (this.connection === "offline" || this.connection === "reconnecting") { text = t.offline; offline = true; }
    else if (this.mode === "waiting") text = this.placeText();
    this.banner.textContent = text;
    this.banner.hidden = !text;
    this.banner.className = "banner" + (offline ? " offline" : "");
  };

  Widget.prototype.placeText = function () {
    var t = this.t, q = this.queue || {};
    if (q.type === "left_message") return t.leftMessage;
    if (q.type === "requeued") return t.requeued;
    if (q.type === "assigned" || q.type === "active") return t.assigned;
    if (!q.position) return t.transferring;
    var text = q.position > 1 ? format(t.queueAhead, { n: q.position - 1 }) : t.queueNext;
    if (q.eta_seconds) text += format(t.eta, { m: Math.max(1, Math.round(q.eta_seconds / 60)) });
    return text;
  };

  // ---------------------------------------------------------------- typing

  Widget.prototype.showTyping = function (who) {
    this.typingUntil(who, who === "bot" ? BOT_TYPING_MS : AGENT_TYPING_MS);
  };

  Widget.prototype.typingUntil = function (who, ms) {
    var self = this;
    if (who === "bot" && this.mode !== "bot") return;      // a person answers now, not the bot
    this.typingWho = who;
    this.typing.textContent = "";
    var label = who === "bot" ? this.t.botTyping : format(this.t.agentTyping, { name: this.agentName || this.t.agent });
    this.typing.appendChild(el("span", { class: "dots", text: label.replace(/…$/, "") }));
    this.typing.setAttribute("data-who", who);
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(function () { self.hideTyping(who); }, ms);
  };

  Widget.prototype.hideTyping = function (who) {
    if (this.typingWho !== who) return;
    clearTimeout(this.typingTimer);
    this.typingWho = null;
    this.typing.textContent = "";
    this.typing.removeAttribute("data-who");
  };

  // ---------------------------------------------------------------- rating

  Widget.prototype.askRating = function (ticketId, afterId) {
    var t = this.t, self = this;
    if (this.root.querySelector(".rating[data-ticket='" + cssEscape(ticketId) + "']")) return;
    var box = el("div", { class: "rating", "data-ticket": ticketId, role: "group", "aria-label": t.ratingTitle });
    if (this.rated.indexOf(ticketId) >= 0) return;          // rated before a reload
    box.seq = (afterId || this.lastId) + 0.25;
    box.at = Date.now() / 1000;
    var title = el("div", { text: t.ratingTitle });
    var stars = el("div", { class: "starbar", role: "group", "aria-label": t.stars });
    var score = 0;
    for (var i = 1; i <= 5; i++) {
      stars.appendChild(this.star(i, function (value) {
        score = value;
        Array.prototype.forEach.call(stars.children, function (s, k) { s.setAttribute("aria-pressed", String(k < value)); });
      }));
    }
    var comment = el("textarea", { rows: "2", maxlength: "500", placeholder: t.commentHint, "aria-label": t.comment });
    var submit = el("button", { type: "button", class: "submit", text: t.submitRating });
    submit.addEventListener("click", function () {
      if (!score) { title.textContent = t.pickStars; return; }
      submit.disabled = true;
      self.chat.request("rate", { ticket_id: ticketId, score: score, comment: comment.value.trim() }).then(function (ack) {
        ack = ack || {};
        if (ack.ok || ack.code === "already_rated") {
          box.textContent = ack.message || "";
          box.setAttribute("data-rated", "yes");
          self.rated.push(ticketId);
          save("localStorage", "xiaoer-rated", self.rated.slice(-50));
        } else {
          title.textContent = ack.message || t.ratingFailed;
          submit.disabled = false;
        }
      }, function () { title.textContent = t.ratingFailed; submit.disabled = false; });
    });
    [title, stars, comment, submit].forEach(function (node) { box.appendChild(node); });
    var before = null;
    for (var node = this.log.lastElementChild; node; node = node.previousElementSibling) {
      if (node.seq === undefined || node.seq <= box.seq) break;
      before = node;
    }
    this.log.insertBefore(box, before);
    this.scrollDown(true);
  };

  Widget.prototype.star = function (value, pick) {
    var button = el("button", { type: "button", text: "★", "aria-pressed": "false",
                                "aria-label": format(this.t.star, { n: value }), "data-score": String(value) });
    button.addEventListener("click", function () { pick(value); });
    return button;
  };

  Widget.prototype.renderBadge = function () {
    var n = this.unread;
    this.badge.hidden = !n;
    this.badge.textContent = n > 99 ? "99+" : String(n);
    this.launcher.setAttribute("aria-label", n ? format(this.t.launcherUnread, { n: n }) : this.t.launcher);
  };

  Widget.prototype.destroy = function () {
    if (this.chat) this.chat.close();
    clearTimeout(this.typingTimer);
    this.outbox.forEach(function (item) { if (item.preview) URL.revokeObjectURL(item.preview); });
    if (this.host.parentNode) this.host.parentNode.removeChild(this.host);
  };

  function cssEscape(value) {
    return window.CSS && CSS.escape ? CSS.escape(value) : String(value).replace(/[^\w-]/g, "");
  }

  function dispatch(name, detail) {
    try { window.dispatchEvent(new CustomEvent(name, { detail: detail })); } catch (e) { /* old browser */ }
  }

  // ---------------------------------------------------------------- page API

  function attribute(name) { return TAG ? TAG.getAttribute(name) : null; }

  function mount(options) {
    options = options || {};
    unmount();
    var config = {
      token: options.token !== undefined ? options.token : attribute("data-token"),
      key: options.key || attribute("data-key") || "web",
      locale: options.locale || attribute("data-locale") || "zh"
    };
    var start = function () {
      var current = widget = new Widget(config);
      if (rendered === null) markRendered();
      if (options.open) current.open();
      return whenClientLoaded(function () { if (widget === current) current.connect(); });
    };
    // An async tag may run before <body> exists.
    if (document.body) return start();
    return new Promise(function (resolve) {
      document.addEventListener("DOMContentLoaded", function () { resolve(start()); });
    });
  }

  function unmount() {
    if (widget) widget.destroy();
    widget = null;
  }

  // The launcher is on screen: the figure "time to first render" is measured up to here.
  function markRendered() {
    var done = function () {
      if (rendered !== null) return;
      rendered = perf && perf.now ? perf.now() : 0;
      if (perf && perf.mark) perf.mark("xiaoer-widget:rendered");
    };
    if (window.requestAnimationFrame) window.requestAnimationFrame(done); else done();
  }

  var clientLoading = null;

  // The socket client sits beside this script; drawing does not wait for it.
  function whenClientLoaded(start) {
    if (window.XiaoerChat) { start(); return Promise.resolve(); }
    if (!clientLoading) {
      clientLoading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = STATIC + "xiaoer-chat.js";
        script.async = true;
        script.onload = resolve;
        script.onerror = reject;
        (document.head || document.documentElement).appendChild(script);
      });
    }
    return clientLoading.then(start);
  }

  window.XiaoerWidget = {
    version: "1",
    mount: mount,
    unmount: unmount,
    open: function () { if (widget) widget.open(); },
    close: function () { if (widget) widget.close(); },
    session: function () { return widget ? widget.session : null; },
    timing: function () { return { rendered: rendered, ready: ready }; },
    strings: STRINGS,
    // For tests: drop the socket as a network failure would.
    _debug: { drop: function () { if (widget && widget.chat) widget.chat.drop(); },
              widget: function () { return widget; } }
  };

  if (attribute("data-autoload") !== "false") mount();
})(window, document);
