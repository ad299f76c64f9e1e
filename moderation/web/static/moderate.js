// The moderators' page: the review queue of one site, decided with buttons or the keyboard.
// Plain DOM, no framework. User text only ever enters the page through text nodes.
"use strict";
(function () {
  const SESSION_KEY = "moderation.session";
  const POLL_MS = 10000;
  const PAGE_SIZE = 50;
  // Renewed a minute before the server's claim (its claim_s, read at sign-in) runs out.
  let OWN_CLAIM_MS = 4 * 60 * 1000;
  const OTHER_CLAIM_MS = 60 * 1000;
  const $ = (id) => document.getElementById(id);
  const state = {
    session: null, items: [], cursor: null, selected: -1, checked: new Set(),
    claims: new Map(), poll: null, busy: false, reasons: [],
  };

  const { el, explain, age, confirmAction } = window.Desk;
  const BANS = [["Ban 24 h", 86400, "for 24 hours"], ["Ban 7 days", 7 * 86400, "for 7 days"],
    ["Ban permanently", null, "permanently"]];

  function say(text) { $("message").textContent = text; }
  function fail(text) { $("queue-error").textContent = text; }

  // ---- the API

  function api(method, path, body) { return window.Desk.api(state.session, method, path, body); }

  function signOutBecause(err) {
    signOut();
    $("sign-in-error").textContent = explain(err);
  }

  // ---- sign in and out; the token lives in sessionStorage, never in a URL

  async function signIn(event) {
    const session = await window.Desk.signIn(event, "Enter your site and your moderator token.",
      (tried) => window.Desk.api(tried, "GET", "/queue?limit=1"),
      (err) => err.status === 404 ? "Unknown site, or this token is not for it. Check both." : explain(err));
    if (!session) return;
    state.session = session;
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
    start();
  }

  function signOut() {
    sessionStorage.removeItem(SESSION_KEY);
    state.session = null;
    clearInterval(state.poll);
    if (state.listening) state.listening.abort();
    state.items = [];
    state.checked.clear();
    $("items").replaceChildren();
    for (const id of ["queue", "site-name", "waiting", "sign-out", "help-open"]) $(id).hidden = true;
    $("sign-in").hidden = false;
    $("site").focus();
  }

  function start() {
    $("sign-in").hidden = true;
    $("queue").hidden = false;
    for (const id of ["site-name", "sign-out", "help-open"]) $(id).hidden = false;
    $("site-name").textContent = state.session.site;
    loadRules();
    reload();
    clearInterval(state.poll);
    state.poll = setInterval(countWaiting, POLL_MS);
    listenWaiting();
  }

  // The waiting count as the server tells it (GET …/queue/events, Server-Sent Events read with
  // fetch, which can send the token): while the stream lasts the poll rests.
  async function listenWaiting() {
    const session = state.session;
    if (!session || state.listening) return;
    state.listening = new AbortController();
    try {
      const response = await fetch("/v1/sites/" + encodeURIComponent(session.site) + "/queue/events", {
        headers: { "Authorization": "Bearer " + session.token, "Accept": "text/event-stream" },
        cache: "no-store", credentials: "omit", signal: state.listening.signal });
      if (!response.ok || !response.body) throw new Error("status " + response.status);
      clearInterval(state.poll);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
          if (/^event: waiting$/m.test(block) && data) showWaiting(JSON.parse(data));
        }
      }
    } catch (err) {
      // Gone or never there: the poll counts until the stream is back.
    } finally {
      state.listening = null;
      if (state.session === session) {
        clearInterval(state.poll);
        state.poll = setInterval(countWaiting, POLL_MS);
        setTimeout(listenWaiting, POLL_MS);
      }
    }
  }

  function showWaiting(counts) {
    const total = (counts.comment || 0) + (counts.rating || 0) + (counts.appeal || 0);
    const waiting = $("waiting");
    waiting.hidden = false;
    waiting.textContent = total + " waiting" + (counts.appeal ? " (" + counts.appeal + (counts.appeal === 1 ? " appeal)" : " appeals)") : "");
    waiting.classList.remove("offline");
  }

  // ---- the queue

  function filters() {
    return { kind: $("filter-kind").value, status: $("filter-status").value,
      rule: $("filter-rule").value, order: $("filter-order").value };
  }

  function queuePath(cursor, limit) {
    const f = filters();
    const query = new URLSearchParams({ kind: f.kind, status: f.status, order: f.order,
      limit: String(limit || PAGE_SIZE) });
    if (f.rule) query.set("rule", f.rule);
    if (cursor) query.set("cursor", cursor);
    return "/queue?" + query.toString();
  }

  async function reload() {
    fail("");
    $("queue").setAttribute("aria-busy", "true");
    try {
      const page = await api("GET", queuePath(null));
      const keep = state.items[state.selected];
      state.items = page.items;
      state.cursor = page.next_cursor;
      state.checked = new Set([...state.checked].filter((k) => page.items.some((i) => key(i) === k)));
      const again = keep ? state.items.findIndex((i) => key(i) === key(keep)) : -1;
      state.selected = again;  // nothing is opened (and claimed) until the moderator does
      render();
      countWaiting();
    } catch (err) {
      if (err.status === 401) return signOutBecause(err);
      fail(explain(err));
    } finally {
      $("queue").removeAttribute("aria-busy");
    }
  }

  async function loadMore() {
    if (!state.cursor) return;
    try {
      const page = await api("GET", queuePath(state.cursor));
      const seen = new Set(state.items.map(key));
      state.items = state.items.concat(page.items.filter((i) => !seen.has(key(i))));
      state.cursor = page.next_cursor;
      render();
    } catch (err) {
      if (err.status === 401) return signOutBecause(err);
      fail(explain(err));
    }
  }

  async function loadRules() {
    const select = $("filter-rule");
    const names = new Set();
    try {
      // The server names its rules and the claim time: nothing here to keep in step by hand.
      const stats = await api("GET", "/rules/stats");
      for (const list of Object.values(stats.rule_names)) list.forEach((name) => names.add(name));
      for (const stat of stats.rules) names.add(stat.rule);
      OWN_CLAIM_MS = Math.max(30, stats.claim_s - 60) * 1000;
      state.reasons = stats.rejection_reasons;
      $("bulk-reason").replaceChildren(...reasonOptions(null));
      if (state.items.length) render();  // the items came first: give them their reason pickers
    } catch (err) { /* without it the filter offers any rule only */ }
    const current = select.value;
    select.replaceChildren(el("option", { value: "" }, "Any rule"),
      ...[...names].sort().map((name) => el("option", { value: name }, name.replace(/_/g, " "))));
    select.value = current;
  }

  // The live count: exactly how many items of each kind wait, polled and after each action.
  async function countWaiting() {
    if (!state.session) return;
    try {
      const counts = await api("GET", "/queue/waiting");
      showWaiting(counts);
      if (!state.items.length && filters().status === "held" && counts[filters().kind] > 0) reload();
    } catch (err) {
      if (err.status === 401) return signOutBecause(err);
      const waiting = $("waiting");
      waiting.hidden = false;
      waiting.textContent = err.status === 0 ? "offline" : "count unavailable";
      waiting.classList.add("offline");
    }
  }

  function key(item) { return item.kind + ":" + item.id; }

  // ---- highlighting the rules' reasons in the text

  // Where each rule found something: the [start, end] pairs of its verdict's details.spans,
  // code-point offsets into the body (end exclusive), as the server counts them. Nothing is
  // matched here: a rule without spans highlights nothing. Returned as UTF-16 offsets.
  function highlightRanges(text, verdicts) {
    const chars = Array.from(text);
    const utf16 = [0];
    for (const ch of chars) utf16.push(utf16[utf16.length - 1] + ch.length);
    const ranges = [];
    for (const verdict of verdicts) {
      const spans = (verdict.details || {}).spans;
      if (!Array.isArray(spans)) continue;
      for (const span of spans) {
        if (!Array.isArray(span) || span.length !== 2) continue;
        const [start, end] = span;
        if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > chars.length || start >= end) continue;
        ranges.push({ start: utf16[start], end: utf16[end], rule: verdict.rule,
          label: chars.slice(start, end).join("") });
      }
    }
    ranges.sort((a, b) => a.start - b.start || b.end - a.end);
    const merged = [];
    for (const r of ranges) {
      const last = merged[merged.length - 1];
      if (last && r.start < last.end) last.end = Math.max(last.end, r.end);
      else merged.push({ ...r });
    }
    return merged;
  }

  function highlightedText(text, verdicts) {
    const node = el("p", { className: "body" });
    let at = 0;
    for (const r of highlightRanges(text, verdicts)) {
      if (r.start > at) node.append(document.createTextNode(text.slice(at, r.start)));
      node.append(el("mark", { title: r.rule.replace(/_/g, " ") + ": " + r.label }, text.slice(r.start, r.end)));
      at = r.end;
    }
    if (at < text.length) node.append(document.createTextNode(text.slice(at)));
    return node;
  }

  // ---- rendering

  function stars(score) {
    return el("span", { className: "stars", "aria-label": score + " out of 5 stars" },
      "★".repeat(score) + "☆".repeat(Math.max(0, 5 - score)));
  }

  function commenterSummary(person) {
    const counts = Object.entries(person.counts || {}).map(([status, n]) => n + " " + status).join(", ");
    return el("p", { className: "commenter" },
      el("span", { className: "person" }, person.id),
      person.verified ? el("span", { className: "badge verified" }, "verified") : null,
      person.trusted ? el("span", { className: "badge trusted" }, "trusted") : null,
      person.banned_until ? el("span", { className: "badge banned" }, "banned") : null,
      el("span", { className: "muted" }, counts ? " · " + counts : ""));
  }

  // Decisions first, then the evidence that added up to the combined score, strongest first.
  function verdictList(verdicts) {
    const points = (v) => (v.details && typeof v.details.points === "number" ? v.details.points : 0);
    const decided = verdicts.filter((v) => v.action !== "allow");
    const evidence = verdicts.filter((v) => v.action === "allow" && points(v) > 0)
      .sort((a, b) => points(b) - points(a));
    if (!decided.length && !evidence.length) return null;
    return el("ul", { className: "verdicts", "aria-label": "Why it is here" },
      decided.concat(evidence).map((v) => {
        const words = v.details && Array.isArray(v.details.words) && v.details.words.length
          ? el("span", { className: "words" }, "words: " + v.details.words.join(", ")) : null;
        return el("li", { className: "verdict " + v.action },
          el("strong", {}, v.rule.replace(/_/g, " ")),
          el("span", { className: "action" }, v.action === "allow"
            ? "+" + points(v).toFixed(1) + " " + (v.details.category || "") : v.action),
          v.reason ? el("span", { className: "reason" }, v.reason) : null,
          words);
      }));
  }

  function reportList(reports) {
    if (!reports || !reports.length) return null;
    return el("ul", { className: "reports", "aria-label": "Reports" },
      reports.map((r) => el("li", {}, "Reported: ", el("strong", {}, r.reason),
        r.note ? " — " + r.note : "")));
  }

  function reasonOptions(suggested) {
    return state.reasons.map((r) => el("option", { value: r.code, selected: r.code === suggested }, r.label));
  }

  // Where the comment stands: its article (linked when the site gave an http(s) address) and
  // the comment it answers.
  function context(item) {
    const parts = [];
    const thread = item.thread;
    if (thread) {
      const title = thread.title || thread.slug;
      const link = thread.url && /^https?:\/\//i.test(thread.url)
        ? el("a", { href: thread.url, target: "_blank", rel: "noopener noreferrer" }, title)
        : el("strong", {}, title);
      parts.push(el("p", { className: "article" }, "On ", link));
    }
    if (item.parent) {
      parts.push(el("blockquote", { className: "parent", "aria-label": "In reply to " + item.parent.author },
        el("p", { className: "parent-who" }, "In reply to ", el("strong", {}, item.parent.author),
          item.parent.status !== "approved" ? el("span", { className: "status " + item.parent.status }, item.parent.status) : null),
        el("p", { className: "parent-body" }, item.parent.body)));
    }
    return parts;
  }

  function recentOutcomes(person) {
    if (!person.recent || !person.recent.length) return null;
    return el("ul", { className: "recent", "aria-label": "Recent comments by this commenter" },
      person.recent.map((c) => el("li", {}, el("span", { className: "status " + c.status }, c.status), " ",
        el("span", { className: "recent-body" }, c.body))));
  }

  function appealNote(item) {
    if (!item.appeal) return null;
    const by = item.appeal.rejected_by.startsWith("moderator:")
      ? "rejected by " + item.appeal.rejected_by.replace(/^moderator:/, "") : "rejected by the rules";
    return el("div", { className: "appeal-note", "aria-label": "Appeal" },
      el("p", {}, el("strong", {}, "Appeal"), el("span", { className: "muted" }, " · " + by)),
      el("p", { className: "note" }, item.appeal.note));
  }

  function renderItem(item, index) {
    const k = key(item);
    const appeal = item.kind === "appeal";
    const label = item.kind === "rating"
      ? "Rating of " + item.author + " by " + item.commenter.id
      : (appeal ? "Appeal by " : "Comment by ") + item.author_name;
    const claimed = state.claims.get(k);
    const holder = claimed ? claimed.holder : null;
    const content = item.kind === "rating"
      ? el("p", { className: "rating" }, "Author ", el("strong", {}, item.author || ""), " ",
        stars(item.score || 0), " ", el("span", { className: "muted" }, (item.score || 0) + "/5"))
      : highlightedText(item.body || "", item.verdicts || []);
    const person = item.commenter;
    const decisions = appeal
      ? [el("button", { type: "button", className: "approve", onclick: () => decide(index, "approve"),
          disabled: item.status === "approved" ? true : null }, "Reinstate"),
        el("button", { type: "button", className: "reject", onclick: () => decide(index, "reject"),
          disabled: item.status === "rejected" ? true : null }, "Uphold")]
      : [el("button", { type: "button", className: "approve", onclick: () => decide(index, "approve"),
          disabled: item.status === "approved" ? true : null }, "Approve"),
        el("button", { type: "button", className: "reject", onclick: () => decide(index, "reject"),
          disabled: item.status === "rejected" ? true : null }, "Reject"),
        state.reasons.length ? el("select", { className: "reason", "aria-label": "Reason to reject " + label },
          reasonOptions(item.suggested_reason || "other")) : null,
        el("button", { type: "button", className: "ban", onclick: () => decide(index, "reject", true),
          title: "Reject and ban " + person.id }, "Reject + ban")];
    const more = el("details", { className: "more" }, el("summary", {}, "Commenter actions"),
      el("div", { className: "actions" },
        item.kind === "comment" ? el("button", { type: "button", className: "reject",
          onclick: () => rejectAll(item) }, "Reject all from this commenter") : null,
        BANS.map(([text, seconds, span]) => el("button", { type: "button", className: "ban",
          onclick: () => banFor(item, seconds, span) }, text))));
    return el("li", {
      className: "item" + (index === state.selected ? " selected" : ""), "data-key": k,
      "data-id": item.id, tabindex: "-1", "aria-label": label,
      "aria-current": index === state.selected ? "true" : null,
      onclick: (event) => { if (!event.target.closest("button, input, label, select, summary, a")) select(index, false); },
    },
      el("div", { className: "item-head" },
        el("input", { type: "checkbox", className: "pick", "aria-label": "Select " + label,
          checked: state.checked.has(k), onchange: (event) => toggle(k, event.target.checked) }),
        el("span", { className: "who" }, item.kind === "rating" ? "Rating" : item.author_name || "Anonymous"),
        item.thread ? el("span", { className: "muted" }, "in ", el("code", {}, item.thread.slug)) : null,
        el("time", { datetime: item.created_at, title: new Date(item.created_at).toLocaleString() }, age(item.created_at)),
        el("span", { className: "status " + item.status }, item.status),
        holder ? el("span", { className: "claimed" }, "being handled by " + holder.replace(/^moderator:/, "")) : null),
      context(item),
      content,
      appealNote(item),
      verdictList(item.verdicts || []),
      reportList(item.reports),
      commenterSummary(person),
      recentOutcomes(person),
      el("div", { className: "actions" }, decisions),
      more);
  }

  function render() {
    const list = $("items");
    list.replaceChildren(...state.items.map(renderItem));
    $("empty").hidden = state.items.length > 0;
    $("load-more").hidden = !state.cursor;
    renderBulk();
    if (state.selected >= 0) claim(state.items[state.selected]);
  }

  function renderBulk() {
    const n = state.checked.size;
    $("selected-count").textContent = n + " selected";
    $("bulk-approve").disabled = n === 0;
    $("bulk-reject").disabled = n === 0;
    const all = $("select-all");
    all.checked = n > 0 && n === state.items.length;
    all.indeterminate = n > 0 && n < state.items.length;
  }

  // ---- selection, claims, checkboxes

  function itemNode(index) {
    return $("items").children[index] || null;
  }

  function select(index, focus = true) {
    if (!state.items.length) return;
    index = Math.max(0, Math.min(state.items.length - 1, index));
    const before = itemNode(state.selected);
    if (before) { before.classList.remove("selected"); before.removeAttribute("aria-current"); }
    state.selected = index;
    const node = itemNode(index);
    node.classList.add("selected");
    node.setAttribute("aria-current", "true");
    if (focus) node.focus();
    node.scrollIntoView({ block: "nearest" });
    claim(state.items[index]);
  }

  // Opening an item reserves it for a few minutes (renewed before the server's claim runs out);
  // someone else's claim is shown, not an error, and looked at again a minute later.
  async function claim(item) {
    const k = key(item);
    const known = state.claims.get(k);
    if (known && Date.now() - known.at < (known.holder ? OTHER_CLAIM_MS : OWN_CLAIM_MS)) return;
    state.claims.set(k, { holder: null, at: Date.now() });
    try {
      await api("POST", "/queue/" + item.kind + "/" + item.id + "/claim");
      const index = state.items.findIndex((i) => key(i) === k);
      const badge = index >= 0 && itemNode(index) && itemNode(index).querySelector(".claimed");
      if (badge) badge.remove();  // the other moderator's claim ran out; it is ours now
    } catch (err) {
      if (err.status === 409 && err.code === "claimed") {
        const holder = (err.details[0] && err.details[0].claimed_by) || "another moderator";
        state.claims.set(k, { holder, at: Date.now() });
        const index = state.items.findIndex((i) => key(i) === k);
        if (index >= 0) {
          const node = itemNode(index);
          const head = node && node.querySelector(".item-head");
          if (head && !head.querySelector(".claimed"))
            head.append(el("span", { className: "claimed" }, "being handled by " + holder.replace(/^moderator:/, "")));
        }
      } else {
        state.claims.delete(k);  // try again next time it is opened
      }
    }
  }

  function toggle(k, on) {
    if (on) state.checked.add(k); else state.checked.delete(k);
    const index = state.items.findIndex((i) => key(i) === k);
    const box = index >= 0 && itemNode(index).querySelector(".pick");
    if (box) box.checked = on;
    renderBulk();
  }

  // ---- decisions

  function removeItems(keys) {
    const selectedKey = state.items[state.selected] && key(state.items[state.selected]);
    const position = state.selected;
    state.items = state.items.filter((i) => !keys.has(key(i)));
    for (const k of keys) { state.checked.delete(k); state.claims.delete(k); }
    const still = state.items.findIndex((i) => key(i) === selectedKey);
    state.selected = still >= 0 ? still : Math.min(position, state.items.length - 1);
    render();
    const node = itemNode(state.selected);
    if (node) node.focus();
  }

  async function decide(index, action, ban = false) {
    const item = state.items[index];
    if (!item || state.busy) return;
    state.busy = true;
    fail("");
    const appeal = item.kind === "appeal";
    const verb = appeal ? (action === "approve" ? "Reinstated" : "Upheld the rejection of")
      : ban ? "Rejected and banned" : action === "approve" ? "Approved" : "Rejected";
    const node = itemNode(index);
    const picked = node && node.querySelector("select.reason");
    const body = appeal ? { action: action === "approve" ? "reinstate" : "uphold", revision: item.revision }
      : { action, ban_commenter: ban, revision: item.revision };
    if (!appeal && action === "reject" && picked) body.reason_code = picked.value;
    try {
      const outcome = await api("POST", "/queue/" + item.kind + "/" + item.id + "/decision", body);
      state.selected = index;
      removeItems(new Set([key(item)]));
      say(verb + " " + (item.kind === "rating" ? "the rating" : "the comment by " + item.author_name) +
        (body.reason_code ? " (" + reasonLabel(body.reason_code) + ")" : "") +
        (outcome.changed ? "." : " (it already was)."));
      countWaiting();
    } catch (err) {
      if (err.status === 401) return signOutBecause(err);
      if (err.status === 409) {
        const now = err.details[0] || {};
        await reload();
        fail("Someone else decided this item first: it is now " + (now.status || "changed") +
          ". The list has been refreshed.");
      } else if (err.status === 404) {
        await reload();
        fail("This item is gone (deleted or erased). The list has been refreshed.");
      } else {
        fail(explain(err));
      }
    } finally {
      state.busy = false;
    }
  }

  async function decideChecked(action) {
    const picked = state.items.filter((i) => state.checked.has(key(i)));
    if (!picked.length || state.busy) return;
    state.busy = true;
    fail("");
    try {
      const request = { action, items: picked.map((i) => ({ kind: i.kind, id: i.id, revision: i.revision })) };
      if (action === "reject" && $("bulk-reason").value) request.reason_code = $("bulk-reason").value;
      const outcome = await api("POST", "/queue/decisions", request);
      const done = new Set(outcome.results.filter((r) => !r.error).map((r) => r.kind + ":" + r.id));
      const failed = outcome.results.filter((r) => r.error);
      removeItems(done);
      say((action === "approve" ? "Approved " : "Rejected ") + done.size +
        (done.size === 1 ? " item." : " items."));
      if (failed.length) {
        await reload();
        fail(failed.length + (failed.length === 1 ? " item was" : " items were") +
          " not decided: " + failed.map((r) => r.error.message).join("; ") + ". The list has been refreshed.");
      }
      countWaiting();
    } catch (err) {
      if (err.status === 401) return signOutBecause(err);
      fail(explain(err));
    } finally {
      state.busy = false;
    }
  }

  function reasonLabel(code) {
    const found = state.reasons.find((r) => r.code === code);
    return found ? found.label : code;
  }

  // Every open item of one commenter, rejected at once, for the reason picked on this item.
  async function rejectAll(item) {
    const who = item.author_name || item.commenter.id;
    const node = itemNode(state.items.indexOf(item));
    const picked = node && node.querySelector("select.reason");
    if (!await confirmAction("Reject every waiting and published comment of " + who + "?", "Reject all")) return;
    try {
      const request = { action: "reject", commenter: item.commenter.id };
      if (picked) request.reason_code = picked.value;
      const outcome = await api("POST", "/queue/decisions", request);
      const done = outcome.results.filter((r) => !r.error).length;
      await reload();
      say("Rejected " + done + (done === 1 ? " item" : " items") + " of " + who + ".");
    } catch (err) {
      if (err.status === 401) return signOutBecause(err);
      fail(explain(err));
    }
  }

  async function banFor(item, seconds, span) {
    const who = item.author_name || item.commenter.id;
    if (!await confirmAction("Ban " + who + " " + span + "? Their new comments and ratings will be rejected.", "Ban")) return;
    try {
      await api("POST", "/commenters/" + encodeURIComponent(item.commenter.id) + "/ban",
        seconds === null ? { reason: "banned by a moderator" } : { duration_s: seconds, reason: "banned by a moderator" });
      await reload();
      say("Banned " + who + " " + span + ".");
    } catch (err) {
      if (err.status === 401) return signOutBecause(err);
      fail(explain(err));
    }
  }

  // ---- keyboard

  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || !state.session) return;
    const target = event.target;
    if (target.closest && target.closest("input:not([type=checkbox]), select, textarea")) return;
    if ($("help").open) return;
    const actions = {
      j: () => select(state.selected + 1),
      k: () => select(state.selected - 1),
      a: () => decide(state.selected, "approve"),
      r: () => decide(state.selected, "reject"),
      b: () => decide(state.selected, "reject", true),
      x: () => {
        const item = state.items[state.selected];
        if (item) toggle(key(item), !state.checked.has(key(item)));
      },
      "?": () => $("help").showModal(),
    };
    const run = actions[event.key];
    if (!run) return;
    event.preventDefault();
    run();
  }

  // ---- wiring

  document.addEventListener("DOMContentLoaded", () => {
    $("sign-in-form").addEventListener("submit", signIn);
    $("sign-out").addEventListener("click", signOut);
    $("refresh").addEventListener("click", reload);
    $("load-more").addEventListener("click", loadMore);
    $("bulk-approve").addEventListener("click", () => decideChecked("approve"));
    $("bulk-reject").addEventListener("click", () => decideChecked("reject"));
    $("help-open").addEventListener("click", () => $("help").showModal());
    $("help-close").addEventListener("click", () => $("help").close());
    $("select-all").addEventListener("change", (event) => {
      state.checked = event.target.checked ? new Set(state.items.map(key)) : new Set();
      for (const box of document.querySelectorAll("#items .pick")) box.checked = event.target.checked;
      renderBulk();
    });
    for (const id of ["filter-kind", "filter-status", "filter-rule", "filter-order"])
      $(id).addEventListener("change", () => { state.checked.clear(); state.selected = -1; reload(); });
    document.addEventListener("keydown", onKey);
    const saved = sessionStorage.getItem(SESSION_KEY);
    if (saved) {
      try { state.session = JSON.parse(saved); } catch (err) { state.session = null; }
    }
    if (state.session && state.session.site && state.session.token) start();
    else { state.session = null; $("site").focus(); }
  });
})();
