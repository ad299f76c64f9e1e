// The admin page: a site's settings, word lists, people, rules at work, embed snippet and SSO.
// Plain DOM, no framework. User text only ever enters the page through text nodes.
"use strict";
(function () {
  const SESSION_KEY = "moderation.admin";
  const QUEUE_SESSION_KEY = "moderation.session";  // /moderate's
  const DRY_RUN_LIMIT = 10000;
  const RATE_WRITES = { comment: "Comments", rating: "Ratings", report: "Reports", vote: "Votes", appeal: "Appeals" };
  // Settings with a place of their own in the form; any other simple setting is listed generically.
  const PLACED = new Set(["premoderation", "first_n", "report_threshold", "edit_window_s",
    "sso_max_lifetime_s", "allowed_origins", "rate_limits", "rules", "rejection_reasons"]);
  const BAN_SECONDS = { "ban-day": 86400, "ban-week": 7 * 86400, "ban-forever": null };
  const { el, explain, age, confirmAction } = window.Desk;
  const $ = (id) => document.getElementById(id);
  const state = { session: null, settings: null, rules: [], person: null, auditCursor: null,
    triedWords: null };

  function api(method, path, body) { return window.Desk.api(state.session, method, path, body); }
  function say(text) { $("message").textContent = text; $("page-error").textContent = ""; }
  function fail(err) {
    if (err.status === 401) return signOutBecause(err);
    $("message").textContent = "";
    $("page-error").textContent = typeof err === "string" ? err : explain(err);
  }
  function label(name) { return name.replace(/_/g, " "); }

  async function copy(text, button) {
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
    } catch (err) {
      button.textContent = "Select and copy (Ctrl+C)";
    }
  }

  // ---- sign in and out; the token lives in sessionStorage, never in a URL

  async function signIn(event) {
    const session = await window.Desk.signIn(event, "Enter your site and an admin token.",
      async (tried) => { state.settings = await window.Desk.api(tried, "GET", "/settings"); },
      (err) => err.status === 403
        ? "This is a moderator's token: the admin page needs an admin token."
        : err.status === 404 ? "Unknown site, or this token is not for it. Check both." : explain(err));
    if (!session) return;
    state.session = session;
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
    // An admin token moderates too: the "Review queue" link opens /moderate signed in.
    if (!sessionStorage.getItem(QUEUE_SESSION_KEY)) sessionStorage.setItem(QUEUE_SESSION_KEY, JSON.stringify(session));
    start();
  }

  function signOut() {
    sessionStorage.removeItem(SESSION_KEY);
    state.session = null;
    for (const id of ["desk", "site-name", "sign-out", "to-queue"]) $(id).hidden = true;
    $("sign-in").hidden = false;
    $("site").focus();
  }

  function signOutBecause(err) {
    signOut();
    $("sign-in-error").textContent = explain(err);
  }

  function start() {
    $("sign-in").hidden = true;
    for (const id of ["desk", "site-name", "sign-out", "to-queue"]) $(id).hidden = false;
    $("site-name").textContent = state.session.site;
    show("settings");
  }

  // ---- tabs

  const LOADERS = {
    settings: loadSettings, words: loadWords, people: loadTokens,
    rules: () => { loadActivity(); loadAudit(); }, embed: loadEmbed,
  };

  function show(panel) {
    for (const tab of document.querySelectorAll("[role=tab]")) {
      const on = tab.getAttribute("aria-controls") === panel;
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
      $(tab.getAttribute("aria-controls")).hidden = !on;
    }
    say("");
    LOADERS[panel]();
  }

  // ---- settings

  function field(name) { return document.querySelector('[data-field="' + name + '"]'); }

  async function loadSettings() {
    try {
      const [settings, described] = await Promise.all([api("GET", "/settings"), api("GET", "/rules")]);
      state.settings = settings;
      state.rules = described.rules;
      fillSettings();
    } catch (err) { fail(err); }
  }

  function fillSettings() {
    const s = state.settings;
    for (const name of ["premoderation", "first_n", "report_threshold", "edit_window_s", "sso_max_lifetime_s"])
      field(name).value = String(s[name]);
    field("allowed_origins").value = s.allowed_origins.join("\n");
    $("more-settings").replaceChildren(...Object.entries(s)
      .filter(([name, value]) => !PLACED.has(name) && ["number", "boolean", "string"].includes(typeof value))
      .map(([name, value]) => typeof value === "boolean"
        ? el("label", { className: "check" }, el("input", { type: "checkbox", "data-field": name, checked: value }), " " + label(name))
        : el("label", {}, label(name), el("input", { type: typeof value === "number" ? "number" : "text",
          "data-field": name, value: String(value) }))));
    $("rate-limits").replaceChildren(...Object.keys(s.rate_limits).map((write) => {
      const limit = s.rate_limits[write];
      const cell = (key) => el("td", {}, el("input", { type: "number", min: "1",
        "data-field": "rate_limits." + write + "." + key, "aria-label": (RATE_WRITES[write] || write) + " " + label(key),
        value: limit[key] === null ? "" : String(limit[key]) }));
      return el("tr", {}, el("th", { scope: "row" }, RATE_WRITES[write] || write),
        cell("per_address"), cell("per_site"), cell("window_s"));
    }));
    $("rule-settings").replaceChildren(...state.rules.map(ruleRow));
    $("reasons").replaceChildren(...s.rejection_reasons.map(reasonRow));
    clearErrors();
    $("settings-state").textContent = "";
  }

  // One rule: on/off first, then its action, then its other parameters from their schema.
  function ruleRow(rule) {
    const names = Object.keys(rule.params).filter((p) => p !== "enabled")
      .sort((a, b) => (a === "action" ? -1 : b === "action" ? 1 : 0));
    const enabled = el("input", { type: "checkbox", "data-field": "rules." + rule.name + ".enabled",
      checked: rule.values.enabled, "aria-label": label(rule.name) + " on" });
    return el("details", { className: "rule", "data-rule": rule.name },
      el("summary", {}, enabled, " ", el("strong", {}, label(rule.name)),
        el("span", { className: "muted" }, " · " + rule.kinds.join(", ") +
          (rule.values.action ? " · " + rule.values.action : ""))),
      el("div", { className: "grid" }, names.map((p) => paramInput(rule, p))));
  }

  function paramInput(rule, name) {
    const schema = rule.params[name];
    const value = rule.values[name];
    const path = "rules." + rule.name + "." + name;
    const text = label(name);
    if (schema.enum) {
      return el("label", {}, text, el("select", { "data-field": path },
        schema.enum.map((option) => el("option", { value: option, selected: option === value }, option))));
    }
    if (schema.type === "boolean")
      return el("label", { className: "check" }, el("input", { type: "checkbox", "data-field": path, checked: value }), " " + text);
    if (schema.type === "integer" || schema.type === "number") {
      return el("label", {}, text, el("input", { type: "number", "data-field": path,
        step: schema.type === "integer" ? "1" : "any", min: schema.minimum, max: schema.maximum,
        value: String(value) }));
    }
    if (schema.type === "array")
      return el("label", { className: "wide-field" }, text + " (comma-separated)",
        el("textarea", { "data-field": path, rows: "2", "data-list": "true" }, (value || []).join(", ")));
    return el("label", {}, text, el("input", { type: "text", "data-field": path, value: value === null ? "" : String(value) }));
  }

  function reasonRow(reason) {
    const remove = el("button", { type: "button", className: "ghost-dark",
      onclick: (event) => event.target.closest("li").remove() }, "Remove");
    return el("li", { className: "reason" },
      el("label", {}, "Code", el("input", { className: "reason-code", value: reason.code, maxlength: "40" })),
      el("label", {}, "Label", el("input", { className: "reason-label", value: reason.label, maxlength: "80" })),
      el("label", { className: "wide-field" }, "What the commenter is told",
        el("textarea", { className: "reason-explanation", rows: "2", maxlength: "500" }, reason.explanation)),
      remove);
  }

  function inputValue(input, before) {
    if (input.type === "checkbox") return input.checked;
    if (input.dataset.list) return input.value.split(",").map((w) => w.trim()).filter(Boolean);
    if (input.type === "number") {
      if (input.value.trim() === "") return null;
      const n = Number(input.value);
      return Number.isNaN(n) ? input.value : n;
    }
    return typeof before === "number" && input.value.trim() !== "" && !Number.isNaN(Number(input.value))
      ? Number(input.value) : input.value;
  }

  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

  // Only what changed goes to PATCH: nested settings as nested objects of the changed keys.
  function changedSettings() {
    const s = state.settings;
    const patch = {};
    for (const input of document.querySelectorAll("#settings-form [data-field]")) {
      const path = input.dataset.field.split(".");
      if (path[0] === "rules") {
        const rule = state.rules.find((r) => r.name === path[1]);
        const value = inputValue(input, rule.values[path[2]]);
        if (!same(value, rule.values[path[2]]))
          ((patch.rules = patch.rules || {})[path[1]] = patch.rules[path[1]] || {})[path[2]] = value;
      } else if (path[0] === "rate_limits") {
        const value = inputValue(input, s.rate_limits[path[1]][path[2]]);
        if (!same(value, s.rate_limits[path[1]][path[2]]))
          ((patch.rate_limits = patch.rate_limits || {})[path[1]] = patch.rate_limits[path[1]] || {})[path[2]] = value;
      } else if (path[0] === "allowed_origins") {
        const origins = input.value.split(/\s+/).map((o) => o.trim()).filter(Boolean);
        if (!same(origins, s.allowed_origins)) patch.allowed_origins = origins;
      } else {
        const value = inputValue(input, s[path[0]]);
        if (!same(value, s[path[0]])) patch[path[0]] = value;
      }
    }
    const reasons = [...document.querySelectorAll("#reasons .reason")].map((row) => ({
      code: row.querySelector(".reason-code").value.trim(),
      label: row.querySelector(".reason-label").value.trim(),
      explanation: row.querySelector(".reason-explanation").value.trim(),
    }));
    if (!same(reasons, s.rejection_reasons)) patch.rejection_reasons = reasons;
    return patch;
  }

  function clearErrors() {
    for (const node of document.querySelectorAll("#settings-form .field-error")) node.remove();
    for (const node of document.querySelectorAll("#settings-form [aria-invalid]")) node.removeAttribute("aria-invalid");
    $("settings-errors").replaceChildren();
  }

  // The API's messages, next to the field each names (or its nearest named parent).
  function showErrors(details) {
    clearErrors();
    for (const detail of details) {
      const path = (detail.field || "").split(".");
      let input = null;
      for (let n = path.length; n > 0 && !input; n--) input = field(path.slice(0, n).join("."));
      if (!input && path[0] === "rejection_reasons") input = $("reasons");
      const where = label(detail.field || "settings");
      $("settings-errors").append(el("li", {}, where + ": " + detail.message));
      if (input) {
        input.setAttribute("aria-invalid", "true");
        const holder = input.closest("label") || input;
        holder.append(el("span", { className: "field-error" }, detail.message));
        const rule = input.closest("details");
        if (rule) rule.open = true;
      }
    }
  }

  async function saveSettings(event) {
    event.preventDefault();
    const patch = changedSettings();
    if (!Object.keys(patch).length) { $("settings-state").textContent = "Nothing changed."; return; }
    $("save-settings").disabled = true;
    try {
      state.settings = await api("PATCH", "/settings", patch);
      state.rules = (await api("GET", "/rules")).rules;
      fillSettings();
      $("settings-state").textContent = "Saved: " + Object.keys(patch).map(label).join(", ") + ".";
    } catch (err) {
      if (err.status === 422) {
        showErrors(err.details);
        $("settings-state").textContent = "Not saved: fix the fields marked below.";
      } else fail(err);
    } finally {
      $("save-settings").disabled = false;
    }
  }

  // ---- word lists: a dry-run of the change on recent comments, then saving

  function words(id) { return $(id).value.split("\n").map((w) => w.trim()).filter(Boolean); }

  async function loadWords() {
    try {
      const [banned, suspect] = await Promise.all([api("GET", "/wordlists/banned"), api("GET", "/wordlists/suspect")]);
      $("banned-words").value = banned.words.join("\n");
      $("suspect-words").value = suspect.words.join("\n");
      state.triedWords = null;
      $("save-words").disabled = true;
      $("dry-run-result").hidden = true;
      $("words-state").textContent = "";
    } catch (err) { fail(err); }
  }

  function wordsNow() { return JSON.stringify([words("banned-words"), words("suspect-words")]); }

  const STOPPING = new Set(["held", "rejected"]);

  async function dryRun() {
    $("dry-run").disabled = true;
    $("words-state").textContent = "Trying…";
    try {
      const tried = wordsNow();
      const result = await api("POST", "/rules/dry-run", { limit: DRY_RUN_LIMIT,
        wordlists: { banned: words("banned-words"), suspect: words("suspect-words") } });
      let stopped = 0, released = 0;
      for (const [change, n] of Object.entries(result.by_change)) {
        const [before, after] = change.split("->");
        if (!STOPPING.has(before) && STOPPING.has(after)) stopped += n;
        if (STOPPING.has(before) && !STOPPING.has(after)) released += n;
      }
      $("dry-run-summary").textContent = "This change would have stopped " + stopped + " and released " +
        released + " of the last " + result.replayed.toLocaleString("en") + " comments.";
      $("dry-run-examples").replaceChildren(...result.examples.map((example) =>
        el("li", {}, el("span", { className: "status " + example.after }, example.before + " → " + example.after), " ",
          el("span", { className: "excerpt" }, example.body))));
      $("dry-run-result").hidden = false;
      state.triedWords = tried;
      $("save-words").disabled = false;
      $("words-state").textContent = "";
    } catch (err) {
      $("words-state").textContent = "";
      if (err.status === 422) fail("Some words are not valid: " + err.details.map((d) => d.message).join("; "));
      else fail(err);
    } finally {
      $("dry-run").disabled = false;
    }
  }

  function wordsEdited() {
    if (state.triedWords !== null && state.triedWords !== wordsNow()) {
      $("save-words").disabled = true;
      $("words-state").textContent = "Changed since the last try: try it again before saving.";
    }
  }

  async function saveWords() {
    if (state.triedWords !== wordsNow()) return;
    $("save-words").disabled = true;
    try {
      await api("PUT", "/wordlists/banned", { words: words("banned-words") });
      await api("PUT", "/wordlists/suspect", { words: words("suspect-words") });
      $("words-state").textContent = "Word lists saved.";
      state.triedWords = null;
    } catch (err) {
      $("save-words").disabled = false;
      fail(err);
    }
  }

  // ---- people: tokens

  async function loadTokens() {
    try {
      const tokens = await api("GET", "/tokens");
      $("token-rows").replaceChildren(...tokens.items.map((t) => el("tr", {},
        el("td", {}, t.label), el("td", {}, t.role),
        el("td", {}, el("time", { datetime: t.created_at }, new Date(t.created_at).toLocaleDateString("en"))),
        el("td", {}, el("button", { type: "button", className: "reject", "aria-label": "Revoke " + t.label,
          onclick: () => revokeToken(t) }, "Revoke")))));
      auditWho(tokens.items);
    } catch (err) { fail(err); }
  }

  async function createToken(event) {
    event.preventDefault();
    const who = $("token-label").value.trim();
    if (!who) { fail("Give the token the name of who holds it."); return; }
    try {
      const created = await api("POST", "/tokens", { label: who, role: $("token-role").value });
      $("new-token-who").textContent = created.label + " (" + created.role + ")";
      $("new-token-value").textContent = created.token;
      $("copy-token").textContent = "Copy";
      $("new-token").hidden = false;
      $("token-label").value = "";
      say("Token created for " + created.label + ".");
      loadTokens();
    } catch (err) { fail(err); }
  }

  async function revokeToken(token) {
    if (!await confirmAction("Revoke the token of " + token.label + " (" + token.role + ")? It stops working at once.", "Revoke")) return;
    try {
      await api("DELETE", "/tokens/" + token.id);
      say("Revoked the token of " + token.label + ".");
      if (token.label === $("new-token-who").textContent.split(" (")[0]) $("new-token").hidden = true;
      loadTokens();
    } catch (err) { fail(err); }
  }

  // ---- people: commenters

  async function findPeople(event) {
    event.preventDefault();
    const text = $("people-query").value.trim();
    if (!text) return;
    try {
      const found = await api("GET", "/commenters?" + new URLSearchParams({ q: text }).toString());
      $("people-found").replaceChildren(...found.items.map((p) => el("li", {},
        el("button", { type: "button", className: "link", onclick: () => openPerson(p.id) }, p.name),
        el("span", { className: "muted" }, " " + (p.email || "") + " · " + p.comments + (p.comments === 1 ? " comment" : " comments")),
        p.verified ? el("span", { className: "badge verified" }, "verified") : null,
        p.banned ? el("span", { className: "badge banned" }, "banned") : null)));
      if (!found.items.length) $("people-found").append(el("li", { className: "muted" }, "Nobody found."));
    } catch (err) { fail(err); }
  }

  async function openPerson(id) {
    try {
      const person = await api("GET", "/commenters/" + encodeURIComponent(id));
      state.person = person;
      renderPerson();
    } catch (err) { fail(err); }
  }

  function renderPerson() {
    const p = state.person;
    $("person").hidden = false;
    $("export-box").hidden = true;
    $("person-name").textContent = p.name || p.id;
    const counts = Object.entries(p.counts.comment).map(([status, n]) => n + " " + status).join(", ");
    $("person-facts").textContent = p.id + (p.verified ? " · verified" : "") + (p.trusted ? " · trusted" : "") +
      " · comments: " + (counts || "none");
    $("person-ban").textContent = p.ban
      ? "Banned " + (p.ban.permanent ? "permanently" : "until " + new Date(p.ban.until).toLocaleString("en")) +
        (p.ban.reason ? " (" + p.ban.reason + ")" : "") + "."
      : "Not banned.";
    $("unban").disabled = !p.ban;
    $("person-history").replaceChildren(...p.recent_comments.map((c) => el("li", {},
      el("span", { className: "status " + c.status }, c.status), " ",
      el("span", { className: "muted" }, c.thread + " · " + age(c.created_at) + " · "), c.body)));
  }

  async function ban(button) {
    const p = state.person;
    const seconds = BAN_SECONDS[button.id];
    const span = seconds === null ? "permanently" : "for " + button.textContent.replace("Ban ", "");
    if (!await confirmAction("Ban " + (p.name || p.id) + " " + span + "? Their new comments will be rejected.", "Ban")) return;
    try {
      state.person = await api("POST", "/commenters/" + encodeURIComponent(p.id) + "/ban",
        seconds === null ? { reason: "banned by an admin" } : { duration_s: seconds, reason: "banned by an admin" });
      renderPerson();
      say("Banned " + (p.name || p.id) + " " + span + ".");
    } catch (err) { fail(err); }
  }

  async function unban() {
    const p = state.person;
    try {
      state.person = await api("DELETE", "/commenters/" + encodeURIComponent(p.id) + "/ban");
      renderPerson();
      say("Lifted the ban of " + (p.name || p.id) + ".");
    } catch (err) { fail(err); }
  }

  async function exportPerson() {
    try {
      const data = await api("GET", "/commenters/" + encodeURIComponent(state.person.id) + "/export");
      const text = JSON.stringify(data, null, 2);
      $("export-json").textContent = text;
      const link = $("export-download");
      if (link.href) URL.revokeObjectURL(link.href);
      link.href = URL.createObjectURL(new Blob([text], { type: "application/json" }));
      $("export-box").hidden = false;
      $("export-box").open = true;
    } catch (err) { fail(err); }
  }

  async function erasePerson() {
    const p = state.person;
    if (!await confirmAction("Erase everything stored about " + (p.name || p.id) + ": their comments, ratings and reports? This cannot be undone.", "Erase")) return;
    try {
      const result = await api("DELETE", "/commenters/" + encodeURIComponent(p.id));
      $("person").hidden = true;
      $("people-found").replaceChildren();
      say("Erased " + result.erased.comments + " comments and " + result.erased.ratings + " ratings.");
    } catch (err) { fail(err); }
  }

  // ---- rules at work: a small chart per rule, and the audit log

  async function loadActivity() {
    try {
      const stats = await api("GET", "/rules/stats?days=" + $("period").value);
      const most = Math.max(1, ...stats.activity.map((r) => r.fired));
      $("rule-activity").replaceChildren(...stats.activity.map((rule) => activityRow(rule, most, stats.days)));
      $("no-activity").hidden = stats.activity.length > 0;
    } catch (err) { fail(err); }
  }

  function meter(kind, n, most) {
    const node = el("span", { className: "meter " + kind });
    node.style.width = (100 * n / most).toFixed(1) + "%";  // CSSOM, which the CSP allows
    return node;
  }

  // A day-by-day sparkline of fired (and overturned) as SVG bars, over the whole period.
  function sparkline(rule, days) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    const width = 4 * days, height = 24;
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("class", "spark");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", label(rule.rule) + " per day");
    const most = Math.max(1, ...rule.days.map((d) => d.fired));
    const today = new Date(new Date().toISOString().slice(0, 10) + "T00:00:00Z").getTime();
    for (const day of rule.days) {
      const back = Math.round((today - new Date(day.day + "T00:00:00Z").getTime()) / 86400000);
      const x = (days - 1 - back) * 4;
      for (const [kind, n] of [["fired", day.fired], ["overturned", day.overturned]]) {
        if (!n) continue;
        const rect = document.createElementNS(ns, "rect");
        const h = Math.max(1, height * n / most);
        rect.setAttribute("x", String(x));
        rect.setAttribute("y", String(height - h));
        rect.setAttribute("width", "3");
        rect.setAttribute("height", String(h));
        rect.setAttribute("class", kind);
        svg.append(rect);
      }
    }
    return svg;
  }

  function activityRow(rule, most, days) {
    const rate = rule.fired ? Math.round(100 * rule.overturned / rule.fired) : 0;
    return el("li", { className: "rule-activity", "data-rule": rule.rule },
      el("span", { className: "rule-name" }, label(rule.rule)),
      el("span", { className: "meters", "aria-hidden": "true" }, meter("fired", rule.fired, most), meter("overturned", rule.overturned, most)),
      el("span", { className: "numbers" }, "fired " + rule.fired + ", overturned " + rule.overturned + " (" + rate + " %)"),
      sparkline(rule, days));
  }

  function auditWho(tokens) {
    const select = $("audit-actor");
    const current = select.value;
    for (const option of [...select.querySelectorAll("option[data-token]")]) option.remove();
    for (const t of tokens)
      select.append(el("option", { value: "moderator:" + t.label, "data-token": "true" }, t.label));
    select.value = current;
  }

  function auditQuery(cursor) {
    const query = new URLSearchParams({ limit: "50" });
    if ($("audit-actor").value) query.set("actor", $("audit-actor").value);
    if ($("audit-action").value) query.set("action", $("audit-action").value);
    if ($("audit-since").value) query.set("since", $("audit-since").value + "T00:00:00Z");
    if ($("audit-until").value) {
      const until = new Date($("audit-until").value + "T00:00:00Z");
      until.setUTCDate(until.getUTCDate() + 1);  // the whole "until" day is included
      query.set("until", until.toISOString());
    }
    if (cursor) query.set("cursor", cursor);
    return "/audit?" + query.toString();
  }

  async function loadAudit(event, more) {
    if (event) event.preventDefault();
    try {
      if (!more) {
        const tokens = await api("GET", "/tokens");
        auditWho(tokens.items);
      }
      const page = await api("GET", auditQuery(more ? state.auditCursor : null));
      const rows = page.items.map((a) => el("tr", {},
        el("td", {}, el("time", { datetime: a.created_at }, new Date(a.created_at).toLocaleString("en"))),
        el("td", {}, a.actor.replace(/^moderator:/, "")),
        el("td", {}, a.action + (a.from_status ? " " + a.from_status + " → " : " → ") + a.to_status),
        el("td", {}, a.kind + (a.item_id ? " " + a.item_id : "") + (a.commenter ? " " + a.commenter : "")),
        el("td", {}, (a.reason_code ? "[" + a.reason_code + "] " : "") + a.reason)));
      if (more) $("audit-rows").append(...rows); else $("audit-rows").replaceChildren(...rows);
      if (!more && !rows.length)
        $("audit-rows").append(el("tr", {}, el("td", { colspan: "5", className: "muted" }, "Nothing matches these filters.")));
      state.auditCursor = page.next_cursor;
      $("audit-more").hidden = !page.next_cursor;
    } catch (err) { fail(err); }
  }

  // ---- embed snippet and SSO

  function snippet() {
    return '<div id="moderation-comments" data-site="' + state.session.site + '"\n' +
      '     data-thread="ARTICLE-KEY" data-author="AUTHOR-KEY"></div>\n' +
      '<script src="' + location.origin + '/embed.js" async></' + 'script>';
  }

  async function loadEmbed() {
    $("snippet").textContent = snippet();
    $("copy-snippet").textContent = "Copy snippet";
    try {
      const sso = await api("GET", "/sso");
      showSso(sso.enabled);
    } catch (err) { fail(err); }
  }

  function showSso(enabled) {
    $("sso-state").textContent = enabled
      ? "Single sign-on is on: the widget accepts readers' tokens signed with the site's secret (docs/sso.md)."
      : "Single sign-on is off: readers comment with a name.";
    $("sso-off").disabled = !enabled;
  }

  async function generateSecret() {
    if (!await confirmAction("Generate a new SSO secret? Tokens signed with the old one stop working at once.", "Generate")) return;
    try {
      const sso = await api("PUT", "/sso", {});
      $("sso-secret-value").textContent = sso.secret;
      $("copy-secret").textContent = "Copy";
      $("sso-secret").hidden = false;
      showSso(true);
    } catch (err) { fail(err); }
  }

  async function ssoOff() {
    if (!await confirmAction("Turn single sign-on off? Readers' tokens stop being accepted.", "Turn off")) return;
    try {
      await api("DELETE", "/sso");
      $("sso-secret").hidden = true;
      showSso(false);
    } catch (err) { fail(err); }
  }

  // ---- wiring

  document.addEventListener("DOMContentLoaded", () => {
    $("sign-in-form").addEventListener("submit", signIn);
    $("sign-out").addEventListener("click", signOut);
    for (const tab of document.querySelectorAll("[role=tab]")) {
      tab.addEventListener("click", () => show(tab.getAttribute("aria-controls")));
      tab.addEventListener("keydown", (event) => {
        const tabs = [...document.querySelectorAll("[role=tab]")];
        const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
        if (!step) return;
        const next = tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length];
        next.focus();
        show(next.getAttribute("aria-controls"));
      });
    }
    $("settings-form").addEventListener("submit", saveSettings);
    $("add-reason").addEventListener("click", () => {
      const row = reasonRow({ code: "", label: "", explanation: "" });
      $("reasons").append(row);
      row.querySelector("input").focus();
    });
    $("dry-run").addEventListener("click", dryRun);
    $("save-words").addEventListener("click", saveWords);
    $("banned-words").addEventListener("input", wordsEdited);
    $("suspect-words").addEventListener("input", wordsEdited);
    $("token-form").addEventListener("submit", createToken);
    $("copy-token").addEventListener("click", (event) => copy($("new-token-value").textContent, event.target));
    $("people-form").addEventListener("submit", findPeople);
    for (const id of Object.keys(BAN_SECONDS)) $(id).addEventListener("click", (event) => ban(event.target));
    $("unban").addEventListener("click", unban);
    $("export").addEventListener("click", exportPerson);
    $("erase").addEventListener("click", erasePerson);
    $("period").addEventListener("change", loadActivity);
    $("audit-form").addEventListener("submit", (event) => loadAudit(event, false));
    $("audit-more").addEventListener("click", () => loadAudit(null, true));
    $("copy-snippet").addEventListener("click", (event) => copy($("snippet").textContent, event.target));
    $("copy-secret").addEventListener("click", (event) => copy($("sso-secret-value").textContent, event.target));
    $("sso-generate").addEventListener("click", generateSecret);
    $("sso-off").addEventListener("click", ssoOff);
    const saved = sessionStorage.getItem(SESSION_KEY);
    if (saved) {
      try { state.session = JSON.parse(saved); } catch (err) { state.session = null; }
    }
    if (state.session && state.session.site && state.session.token) start();
    else { state.session = null; $("site").focus(); }
  });
})();
