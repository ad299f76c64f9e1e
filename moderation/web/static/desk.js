// What the desk pages (/moderate and /admin) share: building elements (user text only ever
// becomes text nodes), signing in, calling the API with the signed-in token, and explaining its
// errors.
"use strict";
window.Desk = (function () {
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "className") node.className = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === "string" || typeof child === "number"
        ? document.createTextNode(String(child)) : child);
    }
    return node;
  }

  class ApiFailure extends Error {
    constructor(status, code, message, details) {
      super(message);
      this.status = status;
      this.code = code;
      this.details = details || [];
    }
  }

  // session: {site, token}; path: below /v1/sites/{site}.
  async function api(session, method, path, body) {
    const headers = { "Authorization": "Bearer " + session.token, "Accept": "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch("/v1/sites/" + encodeURIComponent(session.site) + path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store", credentials: "omit",
      });
    } catch (err) {
      throw new ApiFailure(0, "network", "Cannot reach the moderation server. Check your connection; the page retries on its own.");
    }
    let payload = null;
    try { payload = await response.json(); } catch (err) { payload = null; }
    if (!response.ok) {
      const error = (payload && payload.error) || {};
      throw new ApiFailure(response.status, error.code || "http_" + response.status,
        error.message || "The server answered " + response.status + ".", error.details);
    }
    return payload;
  }

  // The sign-in form both pages share: the site and token typed are tried with `check(session)`
  // (an API call the token must pass) and a refusal is worded by `refusal(err)`; resolves the
  // session, or null after saying what is wrong.
  async function signIn(event, missing, check, refusal) {
    event.preventDefault();
    const $ = (id) => document.getElementById(id);
    const site = $("site").value.trim();
    const token = $("token").value.trim();
    const error = $("sign-in-error");
    if (!site || !token) {
      error.textContent = missing;
      return null;
    }
    if (!/^[A-Za-z0-9_-]+$/.test(site)) {
      error.textContent = "A site name has only letters, digits, - and _.";
      return null;
    }
    error.textContent = "";
    $("sign-in-button").disabled = true;
    const session = { site, token };
    try {
      await check(session);
    } catch (err) {
      error.textContent = refusal(err);
      return null;
    } finally {
      $("sign-in-button").disabled = false;
    }
    $("token").value = "";
    return session;
  }

  function explain(err) {
    if (err.status === 0) return err.message;
    if (err.status === 401) return "Your token is not valid (unknown or revoked). Sign in again.";
    if (err.status === 404 && err.code === "not_found" && /site/i.test(err.message))
      return "This token does not belong to that site. Check the site name.";
    if (err.status === 503 || err.status === 502 || err.status === 504)
      return "The moderation service is unavailable right now. Try again in a moment.";
    if (err.status >= 500) return "The server had a problem (" + err.status + "). Try again.";
    return err.message;
  }

  function age(iso) {
    const seconds = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
    if (seconds < 60) return "just now";
    if (seconds < 3600) return Math.floor(seconds / 60) + " min ago";
    if (seconds < 86400) return Math.floor(seconds / 3600) + " h ago";
    return Math.floor(seconds / 86400) + " d ago";
  }

  // A confirmation in the page's <dialog id="confirm">: resolves true when the person says yes.
  function confirmAction(text, yes) {
    const $ = (id) => document.getElementById(id);
    const dialog = $("confirm");
    $("confirm-text").textContent = text;
    $("confirm-yes").textContent = yes;
    return new Promise((resolve) => {
      const done = (answer) => {
        $("confirm-yes").onclick = null;
        $("confirm-no").onclick = null;
        dialog.onclose = null;
        if (dialog.open) dialog.close();
        resolve(answer);
      };
      $("confirm-yes").onclick = () => done(true);
      $("confirm-no").onclick = () => done(false);
      dialog.onclose = () => done(false);
      dialog.showModal();
    });
  }

  return { el, ApiFailure, api, signIn, explain, age, confirmAction };
})();
