/* moderation: the comment and author-rating widget. Plain JavaScript, no framework, no build step.
   Every piece of user text goes into the page with textContent, never as HTML. Styles live in a
   shadow root, so the host page's CSS and ours cannot break each other. */
(function () {
  "use strict";
  var NS = window.ModerationComments = window.ModerationComments || {};
  if (NS.mountAll) { NS.mountAll(); return; }  // loaded twice: only mount new containers

  var script = document.currentScript ||
    [].slice.call(document.querySelectorAll("script[src*='embed.js']")).pop();
  var BASE = (script ? script.src : location.href).replace(/embed\.js([?#].*)?$/, "");
  var SELECTOR = "#moderation-comments, .moderation-comments, [data-moderation]";
  var REASONS = ["spam", "abuse", "off_topic", "other"];

  // One table of every string the reader sees; a site may add languages via ModerationComments.strings.
  var STRINGS = {
    en: {
      listLabel: "Comments", comments_one: "1 comment", comments_other: "{n} comments", noComments: "No comments yet. Be the first!",
      rateAuthor: "Rate author", outOf: "{avg} out of 5", ratings_one: "1 rating", ratings_other: "{n} ratings",
      noRatings: "No ratings yet", yourRating: "Your rating", stars_one: "1 star", stars_other: "{n} stars",
      rate: "Rate", rated: "Thank you! You rated {stars}.", youRated: "You rated {stars}. Choose again to change it.",
      rateFailed: "Sorry, your rating could not be saved. Please try again.",
      rateTooMany: "Too many ratings right now. Please try again in {s} seconds.",
      addComment: "Add a comment", name: "Name", comment: "Comment", website: "Website",
      post: "Post comment", postReply: "Post reply", posting: "Posting…", reply: "Reply", replyTo: "Reply to {name}",
      cancel: "Cancel", sortBy: "Sort comments", newest: "Newest", oldest: "Oldest",
      loadMore: "Load more comments", loadFailed: "Sorry, the comments could not be loaded.", retry: "Try again",
      moreReplies_one: "Show 1 more reply", moreReplies_other: "Show {n} more replies", repliesFailed: "Sorry, the replies could not be loaded.",
      awaiting: "Awaiting moderation", awaitingNote: "Thanks! Your comment will appear for everyone once it is approved.",
      published: "Your comment is published.",
      rejected: "Sorry, your comment can't be published because it doesn't fit this site's community guidelines.",
      report: "Report", reportReason: "Why should a moderator look at this comment?",
      reason_spam: "Spam", reason_abuse: "Abusive or hateful", reason_off_topic: "Off topic", reason_other: "Something else",
      sendReport: "Send report", reported: "Thank you for your report. A moderator will take a look.",
      reportFailed: "Sorry, your report could not be sent right now. Please try again later.",
      unreachable: "We couldn't reach the comment server. Please check your connection and try again; your text is still here.",
      tooMany: "You're posting quickly. Please try again in {s} seconds; your text is still here.",
      invalid: "{field}: {msg}", failed: "Sorry, that didn't work ({msg}). Your text is still here.",
      verified: "Verified", edited: "edited",
      closed: "Comments on this article are closed.",
      best: "Best", voteUp: "Vote up ({n})", voteDown: "Vote down ({n})", voteFailed: "Sorry, your vote could not be counted. Please try again.", voteTooMany: "Too many votes right now. Please try again in {s} seconds.",
      removed: "Comment removed", picks: "Editors' picks", pick: "Editors' pick",
      edit: "Edit", del: "Delete", editLabel: "Edit your comment", save: "Save changes",
      deleteConfirm: "Delete your comment? This cannot be undone.", deleteYes: "Delete comment",
      deleted: "Your comment was deleted.", editClosed: "The time for editing this comment has passed.",
      deleteFailed: "Sorry, your comment could not be deleted. Please try again.",
      newComments_one: "Show 1 new comment", newComments_other: "Show {n} new comments",
      email: "Email (never shown)", notify: "Email me replies", checkInbox: "We sent you an email: confirm it to get replies by email.",
      notPublished: "Not published: {reason}", appeal: "Appeal this decision",
      byFilters: "Our automatic filters decided this.", byModerator: "A moderator decided this.",
      canAppeal: "If you think this is a mistake, you can appeal once, with a note: another moderator will look at it.",
      appealLabel: "Why should your comment be published?", sendAppeal: "Send appeal",
      appealSent: "Your appeal was sent. A moderator will look at your comment again.",
      appealOpen: "Your appeal is being reviewed.", appealUpheld: "Your appeal was reviewed: the decision stands.",
      reinstated: "Your appeal was accepted: your comment is published.",
      appealFailed: "Sorry, your appeal could not be sent ({msg})."
    },
    de: {
      listLabel: "Kommentare", comments_one: "1 Kommentar", comments_other: "{n} Kommentare", noComments: "Noch keine Kommentare. Schreiben Sie den ersten!",
      rateAuthor: "Autor bewerten", outOf: "{avg} von 5", ratings_one: "1 Bewertung", ratings_other: "{n} Bewertungen",
      noRatings: "Noch keine Bewertungen", yourRating: "Ihre Bewertung", stars_one: "1 Stern", stars_other: "{n} Sterne",
      rate: "Bewerten", rated: "Danke! Sie haben {stars} vergeben.", youRated: "Sie haben {stars} vergeben. Wählen Sie erneut, um es zu ändern.",
      rateFailed: "Ihre Bewertung konnte leider nicht gespeichert werden. Bitte versuchen Sie es erneut.",
      rateTooMany: "Gerade zu viele Bewertungen. Bitte versuchen Sie es in {s} Sekunden erneut.",
      addComment: "Kommentar schreiben", name: "Name", comment: "Kommentar", website: "Webseite",
      post: "Kommentar senden", postReply: "Antwort senden", posting: "Wird gesendet…", reply: "Antworten", replyTo: "Antwort an {name}",
      cancel: "Abbrechen", sortBy: "Kommentare sortieren", newest: "Neueste", oldest: "Älteste",
      loadMore: "Weitere Kommentare laden", loadFailed: "Die Kommentare konnten leider nicht geladen werden.", retry: "Erneut versuchen",
      moreReplies_one: "Weitere Antwort anzeigen (1)", moreReplies_other: "Weitere Antworten anzeigen ({n})", repliesFailed: "Die Antworten konnten leider nicht geladen werden.",
      awaiting: "Wartet auf Freigabe", awaitingNote: "Danke! Ihr Kommentar erscheint für alle, sobald er freigegeben ist.",
      published: "Ihr Kommentar ist veröffentlicht.",
      rejected: "Ihr Kommentar kann leider nicht veröffentlicht werden, weil er nicht zu den Regeln dieser Seite passt.",
      report: "Melden", reportReason: "Warum sollte ein Moderator diesen Kommentar prüfen?",
      reason_spam: "Spam", reason_abuse: "Beleidigend oder hasserfüllt", reason_off_topic: "Am Thema vorbei", reason_other: "Etwas anderes",
      sendReport: "Meldung senden", reported: "Danke für Ihre Meldung. Ein Moderator sieht sich das an.",
      reportFailed: "Ihre Meldung konnte gerade nicht gesendet werden. Bitte versuchen Sie es später erneut.",
      unreachable: "Der Kommentar-Server ist nicht erreichbar. Bitte prüfen Sie Ihre Verbindung; Ihr Text bleibt erhalten.",
      tooMany: "Sie schreiben gerade sehr schnell. Bitte versuchen Sie es in {s} Sekunden erneut; Ihr Text bleibt erhalten.",
      invalid: "{field}: {msg}", failed: "Das hat leider nicht geklappt ({msg}). Ihr Text bleibt erhalten.",
      verified: "Verifiziert", edited: "bearbeitet",
      closed: "Die Kommentare zu diesem Artikel sind geschlossen.",
      best: "Beste", voteUp: "Positiv bewerten ({n})", voteDown: "Negativ bewerten ({n})", voteFailed: "Ihre Stimme konnte leider nicht gezählt werden. Bitte versuchen Sie es erneut.", voteTooMany: "Gerade zu viele Stimmen. Bitte versuchen Sie es in {s} Sekunden erneut.",
      removed: "Kommentar entfernt", picks: "Empfehlungen der Redaktion", pick: "Empfehlung der Redaktion",
      edit: "Bearbeiten", del: "Löschen", editLabel: "Ihren Kommentar bearbeiten", save: "Änderungen speichern",
      deleteConfirm: "Ihren Kommentar löschen? Das lässt sich nicht rückgängig machen.", deleteYes: "Kommentar löschen",
      deleted: "Ihr Kommentar wurde gelöscht.", editClosed: "Die Zeit zum Bearbeiten dieses Kommentars ist abgelaufen.",
      deleteFailed: "Ihr Kommentar konnte leider nicht gelöscht werden. Bitte versuchen Sie es erneut.",
      newComments_one: "1 neuen Kommentar anzeigen", newComments_other: "{n} neue Kommentare anzeigen",
      email: "E-Mail (wird nicht angezeigt)", notify: "Antworten per E-Mail", checkInbox: "Wir haben Ihnen eine E-Mail geschickt: Bestätigen Sie sie, um Antworten per E-Mail zu erhalten.",
      notPublished: "Nicht veröffentlicht: {reason}", appeal: "Einspruch einlegen",
      byFilters: "Das haben unsere automatischen Filter entschieden.", byModerator: "Das hat ein Moderator entschieden.",
      canAppeal: "Wenn Sie das für einen Fehler halten, können Sie einmal Einspruch mit einer Begründung einlegen: Ein anderer Moderator prüft ihn.",
      appealLabel: "Warum sollte Ihr Kommentar veröffentlicht werden?", sendAppeal: "Einspruch senden",
      appealSent: "Ihr Einspruch wurde gesendet. Ein Moderator prüft Ihren Kommentar erneut.",
      appealOpen: "Ihr Einspruch wird geprüft.", appealUpheld: "Ihr Einspruch wurde geprüft: Die Entscheidung bleibt bestehen.",
      reinstated: "Ihr Einspruch war erfolgreich: Ihr Kommentar ist veröffentlicht.",
      appealFailed: "Ihr Einspruch konnte leider nicht gesendet werden ({msg})."
    }
  };
  NS.strings = STRINGS;

  var CSS = [
    ":host{all:initial !important;display:block !important;visibility:visible !important;opacity:1 !important}",
    "[hidden]{display:none !important}",
    ".m{font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1d1d1f;background:#fff;text-align:left;display:block}",
    ".m *{box-sizing:border-box}",
    "h2,h3{font-size:1.15em;margin:1.2em 0 .5em;font-weight:700}",
    "p{margin:.4em 0}",
    "button,input,textarea,select{font:inherit;color:inherit}",
    "button{cursor:pointer;border:1px solid #1a5fb4;background:#1a5fb4;color:#fff;border-radius:6px;padding:.45em 1em;display:inline-block}",
    "button.m-link{background:none;border:0;color:#1a5fb4;padding:.1em .2em;text-decoration:underline}",
    "button.m-ghost{background:#fff;color:#1a5fb4}",
    "button[aria-pressed=true]{background:#1a5fb4;color:#fff}",
    "button[aria-disabled=true]{opacity:.6;cursor:progress}",
    ":focus-visible{outline:3px solid #f5a623 !important;outline-offset:2px}",
    "label{display:block;font-weight:600;margin:.6em 0 .2em}",
    "input,textarea,select{display:block;width:100%;max-width:40em;border:1px solid #767676;border-radius:6px;padding:.5em;background:#fff}",
    "textarea{min-height:6em;resize:vertical}",
    "[aria-invalid=true]{border-color:#b00020;border-width:2px}",
    ".m-error,.m-ferr{color:#b00020;font-weight:600}",
    ".m-ok{color:#26703a;font-weight:600}",
    ".m-hp{position:absolute !important;left:-10000px;width:1px;height:1px;overflow:hidden}",
    ".m-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    ".m-rating{border:1px solid #e3e3e3;border-radius:8px;padding:.2em 1em .8em;margin-bottom:1em}",
    ".m-agg{display:flex;gap:.6em;align-items:center;flex-wrap:wrap}",
    ".m-bar{position:relative;display:inline-block;color:#c8c8c8;font-size:1.3em;letter-spacing:2px}",
    ".m-bar span{position:absolute;left:0;top:0;overflow:hidden;white-space:nowrap;color:#e8a200}",
    "fieldset{border:0;padding:0;margin:.4em 0;display:flex;align-items:center;gap:.2em;flex-wrap:wrap}",
    "legend{font-weight:600;float:left;margin-right:.6em}",
    ".m-star{position:relative;display:inline-block}",
    ".m-star input{position:absolute;opacity:0;width:1px;height:1px;margin:0}",
    ".m-star label{display:inline-block;margin:0;font-size:1.8em;line-height:1;color:#c8c8c8;cursor:pointer;padding:0 .05em;font-weight:400}",
    ".m-star label.on{color:#e8a200}",
    ".m-star input:focus-visible+label{outline:3px solid #f5a623;outline-offset:1px;border-radius:4px}",
    ".m-bar2{display:flex;gap:.5em;align-items:center;flex-wrap:wrap;margin:.6em 0}",
    ".m-list,.m-replies{list-style:none;margin:0;padding:0}",
    ".m-replies{margin-left:1.2em;padding-left:.8em;border-left:2px solid #e3e3e3}",
    ".m-replies .m-replies .m-replies{margin-left:0}",
    ".m-more{margin-left:2em}",
    ".m-c{padding:.7em 0;border-top:1px solid #eee}",
    ".m-c:focus{outline:none}.m-c:focus-visible{outline:3px solid #f5a623}",
    ".m-head{display:flex;gap:.6em;align-items:baseline;flex-wrap:wrap;font-size:.92em}",
    ".m-name{font-weight:700}",
    ".m-meta{color:#595959}",
    ".m-badge{font-size:.8em;border-radius:4px;padding:0 .4em;background:#eef3fb;color:#1a5fb4}",
    ".m-body{white-space:pre-wrap;overflow-wrap:anywhere;margin:.3em 0}",
    ".m-own{background:#fffbea;border-radius:6px;padding:.7em}",
    ".m-own.m-rejected{background:#fdeeee}",
    ".m-status{font-weight:600;color:#8a5a00;margin:.2em 0}",
    ".m-rejected .m-status{color:#b00020}",
    ".m-rejected .m-appeal .m-status{color:#1a5fb4}",
    ".m-actions{display:flex;gap:.8em;font-size:.92em}",
    ".m-slot form{margin:.4em 0 .6em;padding:.6em;border:1px solid #e3e3e3;border-radius:6px}",
    ".m-closed .m-reply,.m-closed .m-vote{display:none}",
    "button.m-vote{background:#fff;color:#1d1d1f;border-color:#c8c8c8;padding:.1em .6em;font-size:.92em}",
    "button.m-vote[aria-pressed=true]{background:#eef3fb;color:#1a5fb4;border-color:#1a5fb4}",
    ".m-vote-status{color:#b00020;font-weight:600}",
    ".m-closed-note{font-weight:600;color:#595959}",
    ".m-email{display:none}.m-email-on .m-email{display:block}",
    ".m-check{display:flex;gap:.4em;align-items:center;font-weight:400}.m-check input{width:auto;display:inline-block}",
    ".m-picks{border:1px solid #e3e3e3;border-left:4px solid #1a5fb4;border-radius:8px;padding:0 1em;margin:1em 0}",
    ".m-pick{background:#1a5fb4;color:#fff}"
  ].join("\n");

  var uid = 0;
  function nextId(prefix) { uid += 1; return "m-" + prefix + "-" + uid; }
  function store(key, value) {
    try {
      if (value === undefined) return JSON.parse(localStorage.getItem("moderation:" + key) || "null");
      if (value === null) localStorage.removeItem("moderation:" + key);
      else localStorage.setItem("moderation:" + key, JSON.stringify(value));
    } catch (e) { return null; }  // storage disabled: the widget still works, only forgets
  }
  function randomId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }
  function wait(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  // Builds an element; "text" goes in as textContent, "on…" as listeners, the rest as attributes.
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  // A form's submit handler that sends one request at a time: `send` returns its promise (or
  // nothing, when there is nothing to send), and the submit button reads busy until it settles.
  function sendOnce(submit, send) {
    var busy = false;
    return function (ev) {
      ev.preventDefault();
      if (busy) return;
      var sending = send();
      if (!sending) return;
      busy = true;
      submit.setAttribute("aria-disabled", "true");
      sending.then(function () {
        busy = false;
        submit.removeAttribute("aria-disabled");
      });
    };
  }

  // A comment's text with its http(s) addresses as links: built from text nodes and <a> elements,
  // never parsed as HTML, so every other character stays text.
  var URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"'`]+/gi;
  var TRAILING = /[.,;:!?'")\]}]+$/;
  function linkify(text) {
    var fragment = document.createDocumentFragment(), last = 0, match;
    URL_IN_TEXT.lastIndex = 0;
    while ((match = URL_IN_TEXT.exec(text)) !== null) {
      var address = match[0], trailing = address.match(TRAILING);
      // A closing bracket that the address opened belongs to it (Wikipedia-style links).
      if (trailing && trailing[0].charAt(0) === ")" && address.indexOf("(") >= 0) trailing = trailing[0].length > 1 ? [trailing[0].slice(1)] : null;
      if (trailing) address = address.slice(0, -trailing[0].length);
      var url = null;
      try { url = new URL(address); } catch (e) { url = null; }
      if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) continue;
      fragment.appendChild(document.createTextNode(text.slice(last, match.index)));
      fragment.appendChild(el("a", { href: url.href, rel: "nofollow ugc noopener", target: "_blank", text: address }));
      last = match.index + address.length;
    }
    fragment.appendChild(document.createTextNode(text.slice(last)));
    return fragment;
  }
  NS.linkify = linkify;

  function api(method, path, body, headers) {
    var options = { method: method, headers: headers || {}, credentials: "omit", cache: "no-cache" };
    if (body) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(BASE + path, options).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        return { status: response.status, data: data, headers: response.headers };
      });
    });
  }
  function errorOf(res) { return (res.data && res.data.error) || { code: "http_" + res.status, message: "HTTP " + res.status, details: [] }; }
  function retryAfter(res) {
    var raw = res.headers.get("Retry-After");
    var seconds = Number(raw);
    if (!raw || isNaN(seconds)) seconds = raw ? Math.ceil((Date.parse(raw) - Date.now()) / 1000) : 30;
    return Math.max(1, seconds || 30);
  }

  function Widget(host) {
    var data = host.dataset;
    this.host = host;
    this.site = data.site;
    this.thread = data.thread;
    this.author = data.author;
    this.lang = STRINGS[data.lang] ? data.lang : ((document.documentElement.lang || "").slice(0, 2) in STRINGS ? document.documentElement.lang.slice(0, 2) : "en");
    this.strings = STRINGS[this.lang];
    this.sso = data.ssoToken || null;
    this.parts = (data.parts || "rating comments").split(/\s+/);
    this.sort = data.sort === "oldest" || data.sort === "best" ? data.sort : "newest";
    this.pageSize = Math.min(100, Math.max(1, parseInt(data.pageSize, 10) || 20));
    this.title = data.threadTitle || document.title || null;
    this.shown = {};  // comment id -> its <li>, so a page and the reader's own copy never duplicate
    this.total = 0;
    this.root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    this.root.appendChild(el("style", { text: CSS }));
    this.box = el("section", { class: "m", lang: this.lang });
    this.live = el("div", { class: "m-sr", role: "status", "aria-live": "polite" });
    this.root.appendChild(this.box);
    this.box.appendChild(this.live);
    if (this.author && this.parts.indexOf("rating") >= 0) this.buildRating();
    if (this.thread && this.parts.indexOf("comments") >= 0) this.buildComments();
  }
  var W = Widget.prototype;

  W.t = function (key, vars) {
    var text = (this.strings[key] !== undefined ? this.strings[key] : STRINGS.en[key]) || key;
    Object.keys(vars || {}).forEach(function (name) { text = text.split("{" + name + "}").join(String(vars[name])); });
    return text;
  };
  W.tn = function (key, n) { return this.t(key + (n === 1 ? "_one" : "_other"), { n: n }); };
  W.say = function (text) { this.live.textContent = ""; this.live.textContent = text; };
  W.path = function (rest) { return "v1/sites/" + encodeURIComponent(this.site) + "/" + rest; };
  W.ssoToken = function () {
    if (this.sso) return Promise.resolve(this.sso);
    return Promise.resolve(typeof NS.getSsoToken === "function" ? NS.getSsoToken(this.site) : null)
      .catch(function () { return null; });
  };

  /* ---- author rating ---- */
  W.ratingPath = function () { return this.path("authors/" + encodeURIComponent(this.author) + "/rating"); };
  W.buildRating = function () {
    var self = this, group = nextId("rate");
    this.ratingKey = "rating:" + BASE + ":" + this.site + ":" + this.author;
    this.stars = [];
    this.aggText = el("span", { class: "m-meta" });
    this.aggBar = el("span", { class: "m-bar", "aria-hidden": "true", text: "★★★★★" }, [el("span", { text: "★★★★★" })]);
    this.rateStatus = el("p", { role: "status", class: "m-ok" });
    var fieldset = el("fieldset", {}, [el("legend", { text: this.t("yourRating") })]);
    for (var score = 1; score <= 5; score += 1) {
      var id = group + "-" + score;
      var input = el("input", { type: "radio", name: group, id: id, value: score,
        onchange: function () { self.paintStars(self.chosenScore()); } });
      var label = el("label", { for: id, title: this.tn("stars", score),
        onmouseenter: this.paintStars.bind(this, score), onmouseleave: function () { self.paintStars(self.chosenScore()); },
        onclick: function (ev) {
          // A pointer click rates at once; keyboard users move with arrows and press Enter or "Rate".
          ev.preventDefault();
          var target = self.root.getElementById ? self.root.getElementById(this.htmlFor) : null;
          if (!target) return;
          target.checked = true;
          target.focus();
          self.rate(Number(target.value));
        } }, [el("span", { "aria-hidden": "true", text: "★" }), el("span", { class: "m-sr", text: this.tn("stars", score) })]);
      input.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { ev.preventDefault(); self.rate(Number(this.value)); } });
      this.stars.push({ input: input, label: label });
      fieldset.appendChild(el("span", { class: "m-star" }, [input, label]));
    }
    fieldset.appendChild(el("button", { type: "submit", class: "m-ghost", text: this.t("rate") }));
    var form = el("form", { onsubmit: function (ev) { ev.preventDefault(); if (self.chosenScore()) self.rate(self.chosenScore()); } }, [fieldset]);
    this.ratingBox = el("div", { class: "m-rating", hidden: true, "aria-label": this.t("rateAuthor"), role: "region" }, [
      el("h2", { text: this.t("rateAuthor") }), el("p", { class: "m-agg" }, [this.aggBar, this.aggText]), form, this.rateStatus]);
    this.box.appendChild(this.ratingBox);
    var mine = store(this.ratingKey);
    if (mine) {
      this.stars[mine - 1].input.checked = true;
      this.paintStars(mine);
      this.rateStatus.textContent = this.t("youRated", { stars: this.tn("stars", mine) });
    }
    this.loadRating();
  };
  W.chosenScore = function () {
    for (var i = 0; i < this.stars.length; i += 1) if (this.stars[i].input.checked) return i + 1;
    return 0;
  };
  W.paintStars = function (score) {
    this.stars.forEach(function (star, i) { star.label.classList.toggle("on", i < score); });
  };
  W.loadRating = function () {
    var self = this;
    return api("GET", this.ratingPath()).then(function (res) {
      // No rating endpoint (or no such site) means no stars block, not an error.
      if (res.status !== 200 || !res.data || typeof res.data.count !== "number") { self.ratingBox.hidden = true; return null; }
      self.showAggregate(res.data);
      self.ratingBox.hidden = false;
      return res.data;
    }, function () { self.ratingBox.hidden = true; return null; });
  };
  W.showAggregate = function (agg) {
    var avg = agg.count ? Number(agg.average) : 0;
    this.aggBar.firstChild.nextSibling.style.width = (avg / 5 * 100) + "%";
    this.aggText.textContent = agg.count
      ? this.t("outOf", { avg: avg.toLocaleString(this.lang, { maximumFractionDigits: 1, minimumFractionDigits: 1 }) }) + " · " + this.tn("ratings", agg.count)
      : this.t("noRatings");
    this.aggregate = agg;
  };
  W.rate = function (score) {
    var self = this;
    if (this.rating) return;
    this.rating = true;
    this.paintStars(score);
    var rater = store("rater") || randomId();
    store("rater", rater);
    var before = this.aggregate ? JSON.stringify([this.aggregate.count, this.aggregate.average]) : "";
    return this.ssoToken().then(function (token) {
      var body = { score: score, rater: { fingerprint: rater } };
      if (token) body.sso_token = token;
      return api("POST", self.path("authors/" + encodeURIComponent(self.author) + "/ratings"), body);
    }).then(function (res) {
      if (res.status === 202) {
        store(self.ratingKey, score);
        self.rateStatus.className = "m-ok";
        self.rateStatus.textContent = self.t("rated", { stars: self.tn("stars", score) });
        return self.refreshAggregate(before);
      }
      self.rateStatus.className = "m-error";
      self.rateStatus.textContent = res.status === 429 ? self.t("rateTooMany", { s: retryAfter(res) }) : self.t("rateFailed");
    }, function () {
      self.rateStatus.className = "m-error";
      self.rateStatus.textContent = self.t("rateFailed");
    }).then(function () { self.rating = false; });
  };
  // The rating is decided by the rule queue in a moment; re-read the aggregate a few times, backing off.
  W.refreshAggregate = function (before) {
    var self = this, delay = 300, tries = 0;
    function again() {
      if (tries >= 8) return null;
      tries += 1;
      return wait(delay).then(function () {
        delay = Math.min(delay * 1.7, 5000);
        return self.loadRating();
      }).then(function (agg) {
        if (agg && JSON.stringify([agg.count, agg.average]) !== before) return agg;
        return again();
      });
    }
    return again();
  };

  /* ---- comments ---- */
  W.threadPath = function () { return this.path("threads/" + encodeURIComponent(this.thread) + "/comments"); };
  W.buildComments = function () {
    var self = this;
    this.ownKey = "own:" + BASE + ":" + this.site + ":" + this.thread;
    this.tokenKey = "edit:" + BASE + ":" + this.site;
    this.count = el("h2", { class: "m-count", text: this.tn("comments", 0) });
    this.sortButtons = ["newest", "oldest", "best"].map(function (sort) {
      return el("button", { type: "button", class: "m-ghost", "aria-pressed": String(sort === self.sort), text: self.t(sort),
        onclick: function () { self.setSort(sort); } });
    });
    this.list = el("ol", { class: "m-list", "aria-label": this.t("listLabel") });
    this.picksList = el("ol", { class: "m-list", "aria-label": this.t("picks") });
    this.picks = el("section", { class: "m-picks", hidden: true }, [el("h3", { text: this.t("picks") }), this.picksList]);
    this.listStatus = el("p", { class: "m-meta" });
    this.more = el("button", { type: "button", class: "m-ghost", hidden: true, text: this.t("loadMore"),
      onclick: function () { self.loadPage(false); } });
    this.box.appendChild(this.count);
    this.formHeading = el("h3", { text: this.t("addComment") });
    this.form = this.buildForm(null);
    this.closedNote = el("p", { class: "m-closed-note", role: "status", tabindex: "-1", hidden: true, text: this.t("closed") });
    this.box.appendChild(this.formHeading);
    this.box.appendChild(this.form);
    this.box.appendChild(this.closedNote);
    this.box.appendChild(el("div", { class: "m-bar2", role: "group", "aria-label": this.t("sortBy") }, this.sortButtons));
    this.fresh = {};  // ids of comments published since the page was read, not shown yet
    this.newButton = el("button", { type: "button", class: "m-ghost m-new", hidden: true,
      onclick: function () { self.showFresh(); } });
    this.box.appendChild(el("div", { "aria-live": "polite" }, [this.newButton]));
    this.box.appendChild(this.picks);
    this.box.appendChild(this.list);
    this.box.appendChild(this.listStatus);
    this.box.appendChild(this.more);
    this.loadPage(true).then(function () { self.resumeOwn(); self.listen(); });
    document.addEventListener("visibilitychange", function () { self.listen(); });
  };
  // A closed thread takes no comments, replies or votes: the forms go and a note says why.
  W.setClosed = function (closed) {
    this.closed = !!closed;
    this.box.classList.toggle("m-closed", this.closed);
    this.formHeading.hidden = this.form.hidden = this.closed;
    this.closedNote.hidden = !this.closed;
    if (this.closed) [].slice.call(this.list.querySelectorAll(".m-slot")).forEach(function (slot) { slot.textContent = ""; });
  };
  // The first page's featured comments, above the others; they stay in their own place below too.
  W.showPicks = function (featured) {
    var self = this;
    this.picksList.textContent = "";
    featured.forEach(function (comment) {
      var before = self.shown[comment.id], li = self.renderComment(comment, false);
      if (before) self.shown[comment.id] = before; else delete self.shown[comment.id];
      self.picksList.appendChild(li);
    });
    this.picks.hidden = !featured.length;
  };
  /* ---- live: the thread's events while the page is visible; new comments wait behind a button ---- */
  W.listen = function () {
    var self = this;
    if (!window.EventSource) return;
    if (document.visibilityState === "hidden") {
      if (this.source) { this.source.close(); this.source = null; }
      return;
    }
    if (this.source) return;
    var query = [];
    if (this.author) query.push("author=" + encodeURIComponent(this.author));
    if (this.lastEventId) query.push("last_event_id=" + encodeURIComponent(this.lastEventId));
    var url = BASE + this.path("threads/" + encodeURIComponent(this.thread) + "/events") + (query.length ? "?" + query.join("&") : "");
    var source = this.source = new EventSource(url);
    function on(type, handle) {
      source.addEventListener(type, function (ev) {
        if (Number(ev.lastEventId) > Number(self.lastEventId || 0)) self.lastEventId = ev.lastEventId;
        var data = null;
        try { data = JSON.parse(ev.data); } catch (e) { return; }
        handle(data);
      });
    }
    on("comment.published", function (data) {
      var own = self.ownList().some(function (o) { return o.id === data.id; });
      if (self.shown[data.id] || own) return;  // the reader's own appears by itself
      self.fresh[data.id] = true;
      var n = Object.keys(self.fresh).length;
      self.newButton.textContent = self.tn("newComments", n);
      self.newButton.hidden = false;
    });
    on("comment.edited", function (data) {
      var li = self.shown[data.id];
      if (!li || li.classList.contains("m-own-li")) return;
      api("GET", self.path("comments/" + encodeURIComponent(data.id))).then(function (res) {
        if (res.status !== 200 || !res.data) return;
        var body = li.querySelector(".m-body");
        body.textContent = "";
        body.appendChild(linkify(res.data.body));
      });
    });
    on("comment.removed", function (data) {
      delete self.fresh[data.id];
      self.markRemoved(data.id);
    });
    on("rating", function (data) {  // every rating box of this author on the page, also apart
      (NS.widgets || []).forEach(function (w) {
        if (w.ratingBox && w.site === self.site && w.author === data.author && !w.rating) w.loadRating();
      });
    });
    on("votes", function (data) {
      var comment = self.comments && self.comments[data.id];
      if (comment && comment.showCounts) comment.showCounts(data.votes);
    });
  };
  // Removed elsewhere: its words go, in place, so nothing moves; a comment the reader is busy
  // with (a form or a message open under it, or focus in it) is left until the next load.
  W.markRemoved = function (id) {
    var li = this.shown[id];
    if (!li || li.classList.contains("m-own-li") || li.hasAttribute("data-gone") || li.querySelector(".m-removed")) return;
    var article = li.querySelector("article"), slot = article.querySelector(".m-slot");
    if ((slot && slot.childNodes.length) || article.contains(this.root.activeElement)) return;
    li.setAttribute("data-gone", "");
    var body = article.querySelector(".m-body"), actions = article.querySelector(".m-actions");
    body.textContent = this.t("removed");
    body.classList.add("m-meta");
    if (actions) actions.hidden = true;
    this.setCount(Math.max(0, this.total - 1));
  };
  // The reader deleted it: it goes, or leaves a placeholder over its replies.
  W.removeShown = function (id) {
    var li = this.shown[id];
    if (!li || li.querySelector(".m-removed")) return;
    if (!li.hasAttribute("data-gone") && !li.classList.contains("m-own-li")) this.setCount(Math.max(0, this.total - 1));
    var replies = li.querySelector(".m-replies");
    delete this.shown[id];
    if (replies && replies.children.length) {
      var gone = this.renderComment({ id: id, removed: true }, false);
      gone.replaceChild(replies, gone.querySelector(".m-replies"));
      li.replaceWith(gone);
    } else {
      li.remove();
    }
  };
  // The new comments join the page only when the reader asks: nothing moves under their eyes.
  W.showFresh = function () {
    var self = this;
    this.fresh = {};
    this.newButton.hidden = true;
    this.loadPage(true).then(function () {
      var first = self.list.querySelector("article");
      if (first) first.focus();
    });
  };
  W.setCount = function (total) {
    this.total = total;
    this.count.textContent = this.tn("comments", total);
  };
  W.setSort = function (sort) {
    if (sort === this.sort) return;
    this.sort = sort;
    this.sortButtons.forEach(function (b) { b.setAttribute("aria-pressed", String(b.textContent === this.t(sort))); }, this);
    this.loadPage(true);
  };
  W.loadPage = function (reset) {
    var self = this;
    if (reset) { this.cursor = null; }
    var query = "?sort=" + this.sort + "&limit=" + this.pageSize + (this.cursor ? "&cursor=" + encodeURIComponent(this.cursor) : "");
    this.more.setAttribute("aria-disabled", "true");
    return api("GET", this.threadPath() + query).then(function (res) {
      self.more.removeAttribute("aria-disabled");
      if (res.status !== 200 || !res.data) throw new Error("status " + res.status);
      if (reset) {
        Object.keys(self.shown).forEach(function (id) {
          if (!self.shown[id].classList.contains("m-own-li")) delete self.shown[id];
        });
        [].slice.call(self.list.children).forEach(function (li) { if (!li.classList.contains("m-own-li")) li.remove(); });
      }
      self.setCount(res.data.total);
      self.setClosed(res.data.closed);
      if (typeof res.data.edit_window_s === "number") self.editWindow = res.data.edit_window_s;
      // Reply emails only where the service sends email (SMTP_URL): otherwise no box at all.
      self.box.classList.toggle("m-email-on", !!res.data.email_replies);
      if (reset) self.showPicks(res.data.featured || []);
      var first = null;
      res.data.items.forEach(function (item) {
        if (self.shown[item.id]) return;
        var li = self.renderThread(item);
        self.list.appendChild(li);
        first = first || li;
      });
      self.cursor = res.data.next_cursor;
      var wasFocused = self.root.activeElement === self.more;
      self.more.hidden = !self.cursor;
      if (wasFocused && self.more.hidden && first) first.querySelector("article").focus();
      self.listStatus.textContent = self.total ? "" : self.t("noComments");
    }).catch(function () {
      self.more.removeAttribute("aria-disabled");
      self.listStatus.textContent = self.t("loadFailed") + " ";
      self.listStatus.appendChild(el("button", { type: "button", class: "m-link", text: self.t("retry"),
        onclick: function () { self.loadPage(reset); } }));
    });
  };
  // A top-level comment with its first replies; the page caps them, the rest load on request.
  W.renderThread = function (item) {
    var root = this.renderComment(item, false);
    this.addReplies(root, item.replies || []);
    if (item.replies_cursor) this.moreReplies(root, item);
    return root;
  };
  // Each reply goes under the comment it answers, or under the top-level one when that is not shown.
  W.addReplies = function (root, replies) {
    var self = this, first = null;
    replies.forEach(function (reply) {
      if (self.shown[reply.id]) return;
      var li = self.renderComment(reply, false);
      (self.shown[reply.parent_id] || root).querySelector(".m-replies").appendChild(li);
      first = first || li;
    });
    return first;
  };
  // "Show N more replies": the next page of one comment's replies, added below those shown.
  W.moreReplies = function (root, item) {
    var self = this, cursor = item.replies_cursor, left = item.reply_count - item.replies.length, busy = false;
    var status = el("p", { class: "m-meta" });
    var button = el("button", { type: "button", class: "m-link", onclick: load });
    function label() { button.textContent = self.tn("moreReplies", Math.max(left, 1)); }
    function load() {
      if (busy) return;
      busy = true;
      button.setAttribute("aria-disabled", "true");
      status.textContent = "";
      var query = "/replies?limit=" + self.pageSize + "&cursor=" + encodeURIComponent(cursor);
      api("GET", self.path("comments/" + encodeURIComponent(item.id) + query)).then(function (res) {
        if (res.status !== 200 || !res.data) throw new Error("status " + res.status);
        var wasFocused = self.root.activeElement === button, first = self.addReplies(root, res.data.items);
        left -= res.data.items.length;
        cursor = res.data.next_cursor;
        button.hidden = !cursor;
        label();
        if (wasFocused && button.hidden && first) first.querySelector("article").focus();
      }).catch(function () {
        status.textContent = self.t("repliesFailed") + " ";
        status.appendChild(el("button", { type: "button", class: "m-link", text: self.t("retry"),
          onclick: function () { button.focus(); load(); } }));
      }).then(function () { busy = false; button.removeAttribute("aria-disabled"); });
    }
    label();
    root.appendChild(el("div", { class: "m-more" }, [button, status]));
  };
  W.renderComment = function (comment, own) {
    var self = this, nameId = nextId("n");
    if (comment.removed) {  // listed only so that its replies stay readable
      var gone = el("li", {}, [el("article", { class: "m-c m-removed", tabindex: "-1", "data-id": comment.id }, [
        el("p", { class: "m-meta", id: nameId, text: this.t("removed") })]), el("ol", { class: "m-replies" })]);
      gone.firstChild.setAttribute("aria-labelledby", nameId);
      this.shown[comment.id] = gone;
      return gone;
    }
    var time = new Date(comment.created_at);
    var when = isNaN(time) ? "" : time.toLocaleString(this.lang, { dateStyle: "medium", timeStyle: "short" });
    var head = el("p", { class: "m-head" }, [
      el("span", { class: "m-name", id: nameId, text: comment.author.name }),
      comment.author.verified ? el("span", { class: "m-badge", text: this.t("verified") }) : null,
      comment.featured ? el("span", { class: "m-badge m-pick", text: this.t("pick") }) : null,
      el("time", { class: "m-meta", datetime: comment.created_at, text: when }),
      comment.edited_at ? el("span", { class: "m-meta", text: "(" + this.t("edited") + ")" }) : null]);
    var slot = el("div", { class: "m-slot" });
    var token = this.editable(comment), li = null;
    var mine = token ? [
      el("button", { type: "button", class: "m-link m-edit", "aria-expanded": "false", text: this.t("edit"), "aria-describedby": nameId,
        onclick: function () { self.toggleEdit(this, slot, comment, token, li, own); } }),
      el("button", { type: "button", class: "m-link m-delete", "aria-expanded": "false", text: this.t("del"), "aria-describedby": nameId,
        onclick: function () { self.toggleDelete(this, slot, comment, token); } })] : [];
    if (!own) (this.comments = this.comments || {})[comment.id] = comment;
    var actions = own ? (token ? el("p", { class: "m-actions" }, mine) : null) : el("p", { class: "m-actions" }, this.voteButtons(comment).concat([
      el("button", { type: "button", class: "m-link m-reply", "aria-expanded": "false", text: this.t("reply"),
        "aria-describedby": nameId, onclick: function () { self.toggleReply(this, slot, comment); } }),
      el("button", { type: "button", class: "m-link m-report", "aria-expanded": "false", text: this.t("report"),
        "aria-describedby": nameId, onclick: function () { self.toggleReport(this, slot, comment); } })], mine));
    var article = el("article", { class: "m-c" + (own ? " m-own" : ""), "aria-labelledby": nameId, tabindex: "-1", "data-id": comment.id }, [
      head, el("p", { class: "m-body" }, [linkify(comment.body)]),
      own ? el("p", { class: "m-status", role: "status", text: this.t("awaiting") }) : null,
      own ? el("p", { class: "m-meta m-note", text: this.t("awaitingNote") }) : null,
      actions, slot]);
    li = el("li", { class: own ? "m-own-li" : null }, [article, el("ol", { class: "m-replies" })]);
    this.shown[comment.id] = li;
    return li;
  };

  /* ---- votes: one per reader, remembered in this browser; pressing the same again withdraws ---- */
  W.voteKey = function (id) { return "vote:" + BASE + ":" + this.site + ":" + id; };
  W.voteButtons = function (comment) {
    var self = this, counts = comment.votes || { up: 0, down: 0 }, mine = store(this.voteKey(comment.id)) || 0;
    var up = el("button", { type: "button", class: "m-vote m-up", onclick: function () { self.vote(comment, mine === 1 ? 0 : 1); } });
    var down = el("button", { type: "button", class: "m-vote m-down", onclick: function () { self.vote(comment, mine === -1 ? 0 : -1); } });
    var status = el("span", { class: "m-vote-status", role: "status" });
    function paint(next, value) {
      counts = next;
      mine = value;
      up.textContent = "▲ " + counts.up;
      down.textContent = "▼ " + counts.down;
      up.setAttribute("aria-label", self.t("voteUp", { n: counts.up }));
      down.setAttribute("aria-label", self.t("voteDown", { n: counts.down }));
      up.setAttribute("aria-pressed", String(mine === 1));
      down.setAttribute("aria-pressed", String(mine === -1));
    }
    paint(counts, mine);
    comment.paintVotes = paint;
    comment.showCounts = function (next) { paint(next, mine); };
    comment.voteStatus = status;
    return [up, down, status];
  };
  W.vote = function (comment, value) {
    var self = this;
    if (comment.voting) return;
    comment.voting = true;
    comment.voteStatus.textContent = "";
    return this.ssoToken().then(function (token) {
      var body = { value: value };
      if (token) body.sso_token = token;
      return api("POST", self.path("comments/" + encodeURIComponent(comment.id) + "/votes"), body);
    }).then(function (res) {
      if (res.status === 200 && res.data) {
        store(self.voteKey(comment.id), value || null);
        comment.paintVotes(res.data, value);
      } else if (res.status === 409 && errorOf(res).code === "thread_closed") {
        self.setClosed(true);
      } else {
        comment.voteStatus.textContent = res.status === 429 ? self.t("voteTooMany", { s: retryAfter(res) }) : self.t("voteFailed");
      }
    }, function () { comment.voteStatus.textContent = self.t("voteFailed"); })
      .then(function () { comment.voting = false; });
  };

  /* ---- forms ---- */
  W.buildForm = function (parent) {
    var self = this, opened = Date.now();
    var nameId = nextId("name"), bodyId = nextId("body"), siteId = nextId("hp");
    var name = el("input", { id: nameId, name: "name", autocomplete: "name", maxlength: "80", required: !this.sso });
    name.value = store("name") || "";
    var body = el("textarea", { id: bodyId, name: "body", required: true, maxlength: "50000" });
    var website = el("input", { id: siteId, name: "website", tabindex: "-1", autocomplete: "off" });
    var emailId = nextId("email"), notifyId = nextId("notify");
    var email = el("input", { id: emailId, name: "email", type: "email", autocomplete: "email", maxlength: "254" });
    email.value = store("email") || "";
    var notify = el("input", { id: notifyId, name: "notify", type: "checkbox" });
    var error = el("p", { class: "m-error", role: "alert" });
    var submit = el("button", { type: "submit", text: this.t(parent ? "postReply" : "post") });
    var form = el("form", { class: "m-form", "aria-label": parent ? this.t("replyTo", { name: parent.author.name }) : this.t("addComment") }, [
      el("div", { hidden: !!this.sso }, [el("label", { for: nameId, text: this.t("name") }), name]),
      el("label", { for: bodyId, text: parent ? this.t("replyTo", { name: parent.author.name }) : this.t("comment") }), body,
      el("div", { class: "m-email" }, [
        el("div", { hidden: !!this.sso }, [el("label", { for: emailId, text: this.t("email") }), email]),
        el("label", { class: "m-check", for: notifyId }, [notify, document.createTextNode(this.t("notify"))])]),
      el("div", { class: "m-hp", "aria-hidden": "true" }, [el("label", { for: siteId, text: this.t("website") }), website]),
      error, el("p", { class: "m-bar2" }, [submit])]);
    var fields = { body: body, "commenter.name": name, commenter: name, "commenter.email": email };
    var attempt = { key: null, text: null };
    function clearErrors() {
      error.textContent = "";
      [name, body, email].forEach(function (field) {
        field.removeAttribute("aria-invalid");
        field.removeAttribute("aria-describedby");
        var old = field.parentNode.querySelector(".m-ferr[data-for='" + field.id + "']");
        if (old) old.remove();
      });
    }
    function fieldError(field, message) {
      var id = nextId("err");
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", id);
      field.insertAdjacentElement("afterend", el("p", { class: "m-ferr", id: id, "data-for": field.id, text: message }));
      field.focus();
    }
    form.addEventListener("submit", sendOnce(submit, function () {
      clearErrors();
      var text = body.value, author = name.value.trim();
      // A retry of the same text reuses its key, so a lost answer never makes a second comment.
      if (attempt.text !== author + "\n" + text) attempt = { key: randomId(), text: author + "\n" + text };
      submit.textContent = self.t("posting");
      return self.ssoToken().then(function (token) {
        var payload = { body: text, elapsed_ms: Date.now() - opened };
        if (website.value) payload.website = website.value;
        if (token) payload.sso_token = token; else payload.commenter = { name: author };
        if (notify.checked && self.box.classList.contains("m-email-on")) {
          payload.notify = "replies";
          if (!token) payload.commenter.email = email.value.trim();
        }
        if (parent) payload.parent_id = parent.id;
        // The page's address without query and fragment: those carry readers' campaign ids,
        // sessions and tokens, which are no business of the comment service.
        if (/^https?:$/.test(location.protocol)) payload.thread_url = (location.origin + location.pathname).slice(0, 2000);
        if (self.title) payload.thread_title = self.title.slice(0, 300);
        return api("POST", self.threadPath(), payload, { "Idempotency-Key": attempt.key });
      }).then(function (res) {
        if (res.status === 202) {
          if (author) store("name", author);
          var asked = notify.checked && self.box.classList.contains("m-email-on");
          if (asked && email.value.trim()) store("email", email.value.trim());
          notify.checked = false;
          body.value = "";
          attempt = { key: null, text: null };
          self.keepToken(res.data.id, res.data.edit_token, res.data.created_at);
          self.showOwn({ id: res.data.id, edit_token: res.data.edit_token, body: text, name: author,
            parent_id: parent ? parent.id : null, created_at: res.data.created_at }, true);
          if (asked) {
            self.shown[res.data.id].querySelector("article").appendChild(el("p", { class: "m-meta m-inbox", text: self.t("checkInbox") }));
            self.say(self.t("awaiting") + " " + self.t("checkInbox"));
          }
          if (parent) form.remove();
          return;
        }
        var problem = errorOf(res);
        if (res.status === 409 && problem.code === "thread_closed") {
          self.setClosed(true);
          if (parent) form.remove(); else self.closedNote.focus();
        } else if (res.status === 429) {
          error.textContent = self.t("tooMany", { s: retryAfter(res) });
        } else if (res.status === 422 && problem.details && problem.details.length) {
          problem.details.forEach(function (detail) {
            var field = fields[detail.field];
            var label = field === body ? self.t("comment") : field === name ? self.t("name") : field === email ? self.t("email") : detail.field;
            var message = self.t("invalid", { field: label, msg: detail.message });
            if (field) fieldError(field, message); else error.textContent = message;
          });
        } else {
          error.textContent = self.t("failed", { msg: problem.message });
        }
      }, function () {
        error.textContent = self.t("unreachable");
      }).then(function () {
        submit.textContent = self.t(parent ? "postReply" : "post");
      });
    }));
    return form;
  };
  W.toggleReply = function (button, slot, comment) {
    var self = this;
    this.toggleSlot(button, slot, "m-form", function () {
      var form = self.buildForm(comment);
      form.querySelector(".m-bar2").appendChild(self.cancelButton(button, slot));
      return { form: form, focus: self.sso || form.querySelector("input").value ? form.querySelector("textarea") : form.querySelector("input") };
    });
  };

  /* ---- the forms under a comment (reply, report, edit, delete) share its slot, one at a time ---- */
  // The comment's button opens the form `build` returns ({form, focus}), or closes it when open.
  W.toggleSlot = function (button, slot, formClass, build) {
    var open = slot.querySelector("." + formClass);
    slot.textContent = "";
    this.closeOthers(button);
    if (open) return;
    var shown = build();
    slot.appendChild(shown.form);
    button.setAttribute("aria-expanded", "true");
    shown.focus.focus();
  };
  W.closeOthers = function (button) {
    [].slice.call(button.parentNode.querySelectorAll("button[aria-expanded]")).forEach(function (b) { b.setAttribute("aria-expanded", "false"); });
  };
  // Cancel empties the slot and gives the focus back to the button that opened it.
  W.cancelButton = function (button, slot) {
    return el("button", { type: "button", class: "m-ghost", text: this.t("cancel"), onclick: function () {
      slot.textContent = ""; button.setAttribute("aria-expanded", "false"); button.focus(); } });
  };
  W.toggleReport = function (button, slot, comment) {
    var self = this;
    this.toggleSlot(button, slot, "m-report-form", function () {
      var selectId = nextId("reason");
      var select = el("select", { id: selectId, name: "reason" }, REASONS.map(function (reason) {
        return el("option", { value: reason, text: self.t("reason_" + reason) });
      }));
      var status = el("p", { role: "status" });
      var send = el("button", { type: "submit", text: self.t("sendReport") });
      var form = el("form", { class: "m-report-form", onsubmit: sendOnce(send, function () {
        status.className = "";
        status.textContent = "";
        return api("POST", self.path("comments/" + encodeURIComponent(comment.id) + "/reports"), { reason: select.value }).then(function (res) {
          return res.status === 202;
        }, function () { return false; }).then(function (ok) {
          if (!ok) { status.className = "m-error"; status.textContent = self.t("reportFailed"); return; }
          var thanks = el("p", { class: "m-ok", role: "status", tabindex: "-1", text: self.t("reported") });
          slot.textContent = "";
          slot.appendChild(thanks);
          button.setAttribute("aria-expanded", "false");
          button.hidden = true;
          thanks.focus();
        });
      }) }, [el("label", { for: selectId, text: self.t("reportReason") }), select, status,
        el("p", { class: "m-bar2" }, [send, self.cancelButton(button, slot)])]);
      return { form: form, focus: select };
    });
  };

  /* ---- editing and deleting your own comment within the site's edit window (its edit token is kept here) ---- */
  W.tokens = function () { return store(this.tokenKey) || {}; };
  W.keepToken = function (id, token, createdAt) {
    var all = this.tokens(), keepFor = (this.editWindow || 7 * 86400) * 1000;
    Object.keys(all).forEach(function (key) { if (Date.now() > Date.parse(all[key].created_at) + keepFor) delete all[key]; });
    if (token) all[id] = { token: token, created_at: createdAt };
    else delete all[id];
    store(this.tokenKey, all);
  };
  W.editable = function (comment) {
    if (comment.removed || this.editWindow === undefined || !this.tokenKey) return null;
    var kept = this.tokens()[comment.id];
    return kept && Date.now() < Date.parse(kept.created_at) + this.editWindow * 1000 ? kept.token : null;
  };
  W.toggleEdit = function (button, slot, comment, token, li, own) {
    var self = this;
    this.toggleSlot(button, slot, "m-edit-form", function () { return self.editForm(button, slot, comment, token, li, own); });
  };
  W.editForm = function (button, slot, comment, token, li, own) {
    var self = this, bodyId = nextId("edit"), error = el("p", { class: "m-error", role: "alert" });
    var body = el("textarea", { id: bodyId, name: "body", required: true, maxlength: "50000" });
    body.value = comment.body;
    var save = el("button", { type: "submit", text: this.t("save") });
    var form = el("form", { class: "m-edit-form", onsubmit: sendOnce(save, function () {
      error.textContent = "";
      var text = body.value;
      return api("PATCH", self.path("comments/" + encodeURIComponent(comment.id)), { body: text }, { "X-Edit-Token": token }).then(function (res) {
        if (res.status === 202) {
          // Checked again by the rules: the reader sees it awaiting moderation until then.
          var again = { id: comment.id, edit_token: token, body: text, name: comment.author.name,
            parent_id: comment.parent_id, created_at: comment.created_at };
          store(self.ownKey, self.ownList().filter(function (o) { return o.id !== comment.id; }).concat([again]).slice(-20));
          delete self.shown[comment.id];
          var pending = self.renderComment({ id: again.id, author: comment.author, body: text, created_at: again.created_at,
            parent_id: again.parent_id }, true);
          pending.replaceChild(li.querySelector(".m-replies"), pending.querySelector(".m-replies"));
          li.replaceWith(pending);
          if (!own) self.setCount(self.total - 1);
          pending.querySelector("article").focus();
          self.say(self.t("awaiting"));
          self.watch(again, pending);
          return;
        }
        var problem = errorOf(res);
        if (res.status === 403 && problem.code === "edit_window_closed") {
          error.textContent = self.t("editClosed");
          self.keepToken(comment.id, null);
        } else if (res.status === 422 && problem.details && problem.details.length) {
          error.textContent = self.t("invalid", { field: self.t("comment"), msg: problem.details[0].message });
        } else {
          error.textContent = self.t("failed", { msg: problem.message });
        }
      }, function () { error.textContent = self.t("unreachable"); });
    }) }, [el("label", { for: bodyId, text: this.t("editLabel") }), body, error,
      el("p", { class: "m-bar2" }, [save, this.cancelButton(button, slot)])]);
    return { form: form, focus: body };
  };
  W.toggleDelete = function (button, slot, comment, token) {
    var self = this;
    this.toggleSlot(button, slot, "m-delete-form", function () {
      var status = el("p", { class: "m-error", role: "alert" });
      var yes = el("button", { type: "submit", text: self.t("deleteYes") });
      var form = el("form", { class: "m-delete-form", onsubmit: sendOnce(yes, function () {
        return api("DELETE", self.path("comments/" + encodeURIComponent(comment.id)), null, { "X-Edit-Token": token }).then(function (res) {
          return res.status === 200 || res.status === 404;  // 404: already gone
        }, function () { return false; }).then(function (ok) {
          if (!ok) { status.textContent = self.t("deleteFailed"); return; }
          self.keepToken(comment.id, null);
          self.forgetOwn(comment.id);
          self.removeShown(comment.id);
          self.say(self.t("deleted"));
          self.count.setAttribute("tabindex", "-1");
          self.count.focus();
        });
      }) }, [el("p", { text: self.t("deleteConfirm") }), status,
        el("p", { class: "m-bar2" }, [yes, self.cancelButton(button, slot)])]);
      return { form: form, focus: yes };
    });
  };

  /* ---- the reader's own comments: awaiting moderation, then published or kindly rejected ---- */
  W.ownList = function () { return store(this.ownKey) || []; };
  W.forgetOwn = function (id) { store(this.ownKey, this.ownList().filter(function (o) { return o.id !== id; })); };
  W.showOwn = function (own, fresh) {
    if (fresh) store(this.ownKey, this.ownList().concat([own]).slice(-20));
    var li = this.renderComment({ id: own.id, author: { name: own.name, verified: !!this.sso }, body: own.body,
      created_at: own.created_at, parent_id: own.parent_id }, true);
    var parent = own.parent_id && this.shown[own.parent_id];
    if (parent) parent.querySelector(".m-replies").appendChild(li);
    else if (this.sort === "newest") this.list.insertBefore(li, this.list.firstChild);
    else this.list.appendChild(li);
    this.listStatus.textContent = "";
    if (fresh) { li.querySelector("article").focus(); this.say(this.t("awaiting")); }
    this.watch(own, li);
  };
  W.resumeOwn = function () {
    var self = this;
    this.ownList().forEach(function (own) { if (!self.shown[own.id]) self.showOwn(own, false); });
  };
  // Polls the comment with its edit token for a while, backing off, until the rules or a moderator decide.
  W.watch = function (own, li) {
    var self = this, delay = 400, waited = 0;
    function poll() {
      if (waited > 180000) return;
      waited += delay;
      return wait(delay).then(function () {
        delay = Math.min(delay * 1.6, 15000);
        return api("GET", self.path("comments/" + encodeURIComponent(own.id)), null, { "X-Edit-Token": own.edit_token });
      }).then(function (res) {
        if (res.status === 404) { li.remove(); delete self.shown[own.id]; self.forgetOwn(own.id); return; }
        var status = res.status === 200 && res.data ? res.data.status : null;
        if (status === "approved") return self.publish(own, li, res.data);
        if (status === "rejected") {
          self.showRejected(own, li, res.data);
          // Only an open appeal can change it now: watched until decided.
          if (res.data.appeal && res.data.appeal.status === "open") return poll();
          return;
        }
        return poll();
      }, poll);
    }
    return poll();
  };
  // The statement of reasons on the reader's own rejected comment, and their one appeal.
  W.showRejected = function (own, li, comment) {
    var self = this, article = li.querySelector("article"), decision = comment.decision, appeal = comment.appeal;
    article.classList.add("m-rejected");
    article.querySelector(".m-status").textContent = decision ? this.t("notPublished", { reason: decision.reason }) : this.t("rejected");
    var note = article.querySelector(".m-note");
    // The site's own words for its policy, the rest in the reader's language.
    note.textContent = decision ? [decision.policy, this.t(decision.automated ? "byFilters" : "byModerator"),
      decision.appealable ? this.t("canAppeal") : ""].join(" ").trim() : "";
    var old = article.querySelector(".m-appeal");
    if (old) old.remove();
    var box = el("div", { class: "m-appeal" });
    article.appendChild(box);
    if (appeal) {
      box.appendChild(el("p", { class: "m-status", role: "status",
        text: this.t(appeal.status === "upheld" ? "appealUpheld" : "appealOpen") }));
      return;
    }
    if (!decision || !decision.appealable) return;
    var button = el("button", { type: "button", class: "m-ghost", text: this.t("appeal"), "aria-expanded": "false",
      onclick: function () { self.appealForm(own, li, box, button); } });
    box.appendChild(button);
  };
  W.appealForm = function (own, li, box, button) {
    var self = this, noteId = nextId("appeal"), error = el("p", { class: "m-error", role: "alert" });
    var text = el("textarea", { id: noteId, name: "note", required: true, maxlength: "1000", rows: "3" });
    var send = el("button", { type: "submit", text: this.t("sendAppeal") });
    var form = el("form", { class: "m-appeal-form", onsubmit: sendOnce(send, function () {
      if (!text.value.trim()) return null;
      error.textContent = "";
      return api("POST", self.path("comments/" + encodeURIComponent(own.id) + "/appeal"), { note: text.value },
        { "X-Edit-Token": own.edit_token }).then(function (res) {
        if (res.status === 202 || (res.status === 409 && errorOf(res).code === "already_appealed")) {
          box.textContent = "";
          box.appendChild(el("p", { class: "m-status", role: "status", text: self.t("appealSent") }));
          self.say(self.t("appealSent"));
          self.watch(own, li);
          return;
        }
        error.textContent = self.t("appealFailed", { msg: errorOf(res).message });
      }, function () { error.textContent = self.t("unreachable"); });
    }) }, [el("label", { for: noteId, text: this.t("appealLabel") }), text, error,
      el("p", { class: "m-bar2" }, [send])]);
    button.remove();
    box.appendChild(form);
    text.focus();
  };
  W.publish = function (own, li, comment) {
    var hadFocus = li.contains(this.root.activeElement);
    delete this.shown[own.id];
    var published = this.renderComment(comment, false);
    var replies = li.querySelector(".m-replies");
    published.replaceChild(replies, published.querySelector(".m-replies"));
    li.replaceWith(published);
    this.forgetOwn(own.id);
    this.setCount(this.total + 1);
    this.say(this.t(comment.appeal ? "reinstated" : "published"));
    if (hadFocus) published.querySelector("article").focus();
  };

  function mount(host) {
    if (host.getAttribute("data-moderation-mounted") !== null || !host.dataset.site) return null;
    host.setAttribute("data-moderation-mounted", "");
    var widget = new Widget(host);
    (NS.widgets = NS.widgets || []).push(widget);
    return widget;
  }
  NS.mount = mount;
  NS.mountAll = function () { [].slice.call(document.querySelectorAll(SELECTOR)).forEach(mount); };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", NS.mountAll);
  else NS.mountAll();
})();
