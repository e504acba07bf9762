/*! AccountPulse tag: page views (SPA routes too), ad landings, identify(email).
 *  <script async src="https://COLLECTOR/tag.js" data-key="WRITE_KEY"></script>
 *  Sends nothing under Do Not Track, Global Privacy Control, or AccountPulse.consent(false);
 *  with data-consent="required" it waits for AccountPulse.consent(true). */
(function (w, d, n) {
  "use strict";
  var me = d.currentScript || d.querySelector("script[data-key][src*='tag.js']");
  if (!me || w.AccountPulse) { return; }
  var KEY = me.getAttribute("data-key") || "";
  var URL_ = me.src.replace(/\/tag\.js(\?.*)?$/, "/v1/tag");
  var COOKIE = "ap_aid";
  var CLICK_IDS = { gclid: "google", li_fat_id: "linkedin", msclkid: "microsoft", fbclid: "meta" };
  var consent = me.getAttribute("data-consent") === "required" ? null : true;
  var lastUrl = null;

  function optedOut() {
    return n.globalPrivacyControl === true || n.doNotTrack === "1" || w.doNotTrack === "1" ||
      consent !== true;
  }
  function uuid() {
    if (w.crypto && w.crypto.randomUUID) { return w.crypto.randomUUID(); }
    return "xxxxxxxxxxxx4xxxyxxxxxxxxxxxxxxx".replace(/[xy]/g, function (c) {
      var r = Math.random() * 16 | 0; return (c === "x" ? r : (r & 3 | 8)).toString(16);
    });
  }
  function visitor() {
    var m = d.cookie.match(/(?:^|; )ap_aid=([^;]+)/);
    var id = m ? decodeURIComponent(m[1]) : uuid();
    d.cookie = COOKIE + "=" + encodeURIComponent(id) + "; Max-Age=31536000; Path=/; SameSite=Lax" +
      (location.protocol === "https:" ? "; Secure" : "");
    return id;
  }
  function send(events) {
    if (optedOut() || !KEY) { return; }
    var aid = visitor();
    for (var i = 0; i < events.length; i++) { events[i].anonymous_id = aid; events[i].id = uuid(); }
    var body = JSON.stringify({ key: KEY, events: events });
    var blob = new Blob([body], { type: "text/plain" });  // a simple request: no preflight
    if (!(n.sendBeacon && n.sendBeacon(URL_, blob))) {
      try {
        fetch(URL_, { method: "POST", body: body, keepalive: true, mode: "cors",
          credentials: "omit", headers: { "Content-Type": "text/plain" } });
      } catch (e) { /* nothing to do: analytics never break the page */ }
    }
  }
  function page() {
    var href = location.href;
    if (href === lastUrl) { return; }
    var events = [{ kind: "page", url: href, referrer: lastUrl || d.referrer || null }];
    if (lastUrl === null) {
      var q = new URLSearchParams(location.search), platform = null, clickId = null;
      for (var k in CLICK_IDS) { if (q.get(k)) { platform = CLICK_IDS[k]; clickId = q.get(k); break; } }
      if (clickId || q.get("utm_campaign")) {
        events.push({ kind: "ad", url: href, platform: platform || q.get("utm_source"),
          campaign: q.get("utm_campaign") || clickId, click_id: clickId });
      }
    }
    lastUrl = href;
    send(events);
  }
  function wrap(name) {
    var orig = history[name];
    history[name] = function () { var r = orig.apply(this, arguments); setTimeout(page, 0); return r; };
  }
  wrap("pushState"); wrap("replaceState");
  w.addEventListener("popstate", page);
  w.AccountPulse = {
    page: page,
    identify: function (email) {
      if (typeof email === "string" && email.indexOf("@") > 0) {
        send([{ kind: "identify", url: location.href, email: email.trim() }]);
      }
    },
    consent: function (granted) {
      consent = !!granted;
      if (!consent) { d.cookie = COOKIE + "=; Max-Age=0; Path=/"; }
      else if (lastUrl === null) { page(); }
    }
  };
  if (consent === true) { page(); }
}(window, document, navigator));
