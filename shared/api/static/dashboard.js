"use strict";
// The dashboard draws from the app's own JSON API, a page at a time (the server filters and pages), and builds
// every node with textContent: nothing from the API is ever parsed as HTML.
(function () {
  const PAGE = 50;
  const REFRESH_MS = 60000;
  const base = location.pathname.replace(/dashboard\/?$/, "");
  const key = new URLSearchParams(location.search).get("code");
  const REASONS = {
    CredentialUnhealthy: "The registry cannot sign in upstream with these credentials",
    SecretMissing: "A secret behind the credentials does not exist",
    SecretDisabled: "A secret behind the credentials is disabled",
    SecretExpired: "A secret behind the credentials has expired",
    SecretExpiring: "A secret behind the credentials expires soon",
    AccessMissing: "The registry's identity may not read the secrets",
    CredentialSetMissing: "The rule's credential set no longer exists",
    ProvisioningFailed: "Azure failed to provision the rule",
  };
  const ICONS = { Unhealthy: "✕", Warning: "!", Healthy: "✓" };
  const state = { status: "", registry: "", sort: "", skip: 0, next: null, loads: 0 };
  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (name === "class") node.className = value;
      else node.setAttribute(name, value);
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  async function api(method, path) {
    const headers = { Accept: "application/json" };
    if (key) headers["x-functions-key"] = key;
    const answer = await fetch(base + path, { method, headers, credentials: "same-origin" });
    const body = answer.status === 204 ? null : await answer.json();
    if (!answer.ok) {
      const detail = body && (body.detail || body.title);
      throw new Error(detail || "HTTP " + answer.status);
    }
    return { status: answer.status, headers: answer.headers, body };
  }

  function say(text) {
    $("announce").textContent = text;
  }

  function when(iso) {
    const t = new Date(iso);
    return isNaN(t) ? "" : t.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }

  function ago(iso) {
    const seconds = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
    const units = [[86400, "day"], [3600, "hour"], [60, "minute"]];
    for (const [size, name] of units) {
      if (seconds >= size) {
        const n = Math.floor(seconds / size);
        return n + " " + name + (n === 1 ? "" : "s") + " ago";
      }
    }
    return "just now";
  }

  function timeNode(iso, text) {
    return el("time", { datetime: iso, title: when(iso) }, text || ago(iso));
  }

  function badge(status) {
    return el("span", { class: "badge badge-" + status },
      el("span", { "aria-hidden": "true" }, ICONS[status] || "?"), status);
  }

  function reasonText(row) {
    return row.reason ? REASONS[row.reason] || row.reason : "Pulls through this rule work";
  }

  function healthQuery(extra) {
    const params = new URLSearchParams();
    if (state.status) params.set("status", state.status);
    if (state.registry) params.set("registry", state.registry);
    for (const [name, value] of Object.entries(extra)) params.set(name, String(value));
    return "health?" + params.toString();
  }

  function drawTiles(report) {
    const s = report.summary;
    $("tile-unhealthy").textContent = s.unhealthy.toLocaleString();
    $("tile-warning").textContent = s.warning.toLocaleString();
    $("tile-healthy").textContent = s.healthy.toLocaleString();
    $("tile-rules").textContent = s.rules.toLocaleString();
    const sweep = report.lastSweep;
    if (sweep) {
      $("tile-registries").textContent = sweep.registries.toLocaleString();
      $("tile-sweep-when").replaceChildren(timeNode(sweep.startedAt));
      $("tile-sweep-cost").textContent = sweep.status === "Completed"
        ? "took " + (sweep.durationMs / 1000).toFixed(1) + " s, " + sweep.azureRequests.toLocaleString() + " Azure requests"
        : "still running";
    } else {
      $("tile-registries").textContent = "–";
      $("tile-sweep-when").textContent = "never";
      $("tile-sweep-cost").textContent = "no sweep has run yet";
    }
  }

  function sorted(rows) {
    const copy = rows.slice();
    if (state.sort === "name") copy.sort((a, b) => a.name.localeCompare(b.name));
    if (state.sort === "since") copy.sort((a, b) => a.since.localeCompare(b.since));
    return copy;
  }

  function ruleRow(row) {
    const validate = el("button", { type: "button", class: "quiet", "data-action": "validate" }, "Validate");
    const details = el("button", { type: "button", class: "quiet", "data-action": "details", "aria-expanded": "false" }, "Credentials");
    for (const b of [validate, details]) b.setAttribute("aria-label", b.textContent + " " + row.name + " in " + row.registry);
    const tr = el("tr", { class: "rule", "data-rule": row.id, "data-status": row.status },
      el("td", {}, badge(row.status)),
      el("td", {}, el("span", { class: "rule-name" }, row.name)),
      el("td", { "data-label": "Reason" },
        el("div", { class: "reason" }, reasonText(row)),
        row.status === "Healthy" ? null : el("div", { class: "message" }, row.message)),
      el("td", { "data-label": "Since" }, timeNode(row.since)),
      el("td", {}, el("div", { class: "row-actions" }, validate, details)));
    validate.addEventListener("click", () => validateRule(row, tr, validate));
    details.addEventListener("click", () => showCredentials(row, tr, details));
    return tr;
  }

  function answerRow(tr, kind) {
    const existing = tr.nextElementSibling;
    if (existing && existing.dataset.answer === kind) return existing.firstElementChild;
    const cell = el("td", { colspan: "5", "aria-live": "polite" });
    const answer = el("tr", { class: "answer", "data-answer": kind }, cell);
    tr.after(answer);
    return cell;
  }

  async function validateRule(row, tr, button) {
    const cell = answerRow(tr, "validate");
    cell.textContent = "Validating " + row.name + "…";
    button.disabled = true;
    try {
      const path = "registries/" + encodeURIComponent(row.registry) + "/cache-rules/" + encodeURIComponent(row.name) + "/validate";
      const result = (await api("POST", path)).body;
      const list = el("ul", {});
      for (const check of result.checks) {
        list.append(el("li", {}, (check.status === "Passed" ? "✓ " : check.status === "Failed" ? "✕ " : "– ") + check.name + ": " + check.status + (check.message ? " (" + check.message + ")" : "")));
      }
      const verdict = result.isValid ? "Valid: a pull through " + row.name + " would work."
        : "Not valid: " + result.failure.message;
      cell.replaceChildren(el("strong", { class: "verdict" }, verdict), list);
    } catch (error) {
      cell.textContent = "Validation failed to run: " + error.message;
    } finally {
      button.disabled = false;
    }
  }

  function vaultOf(uri) {
    try { return new URL(uri).hostname.split(".")[0]; } catch (e) { return uri; }
  }

  async function showCredentials(row, tr, button) {
    const open = button.getAttribute("aria-expanded") === "true";
    if (open) {
      const next = tr.nextElementSibling;
      if (next && next.dataset.answer === "details") next.remove();
      button.setAttribute("aria-expanded", "false");
      return;
    }
    button.setAttribute("aria-expanded", "true");
    const cell = answerRow(tr, "details");
    cell.textContent = "Loading…";
    try {
      const path = "registries/" + encodeURIComponent(row.registry) + "/cache-rules/" + encodeURIComponent(row.name);
      const rule = (await api("GET", path)).body;
      const set = rule.credentialSet;
      cell.replaceChildren(set
        ? el("span", {}, "Credential set ", el("strong", {}, set.name), " for " + set.loginServer + ", secrets in vault ",
            el("strong", {}, vaultOf(set.usernameSecretUri)), " (" + set.usernameSecretUri + ", " + set.passwordSecretUri + ")")
        : el("span", {}, "No credential set: anonymous pulls from " + rule.sourceRepository));
    } catch (error) {
      cell.textContent = "Could not read the rule: " + error.message;
    }
  }

  function drawRules(report) {
    const table = $("rules-table");
    for (const old of table.querySelectorAll("tbody")) old.remove();
    const groups = new Map();
    for (const row of sorted(report.rules)) {
      if (!groups.has(row.registry)) groups.set(row.registry, []);
      groups.get(row.registry).push(row);
    }
    for (const [registry, rows] of groups) {
      const failing = rows.filter((r) => r.status !== "Healthy").length;
      const tbody = el("tbody", {},
        el("tr", {}, el("th", { scope: "rowgroup", colspan: "5", class: "group" },
          "Registry " + registry + " · " + rows.length + " shown, " + failing + " failing")));
      for (const row of rows) tbody.append(ruleRow(row));
      table.append(tbody);
    }
    if (!report.rules.length) {
      table.append(el("tbody", {}, el("tr", {}, el("td", { colspan: "5", class: "empty" }, "No rule matches."))));
    }
    const first = report.rules.length ? state.skip + 1 : 0;
    const last = state.skip + report.rules.length;
    $("rules-count").textContent = "Showing " + first.toLocaleString() + "–" + last.toLocaleString() + " of " + report.summary.rules.toLocaleString() + " rules";
    $("page-label").textContent = "Page " + (Math.floor(state.skip / PAGE) + 1) + " of " + Math.max(1, Math.ceil(report.summary.rules / PAGE));
    $("page-prev").disabled = state.skip === 0;
    $("page-next").disabled = !report.nextLink;
  }

  function drawExpiry(rows) {
    const now = Date.now();
    const expiring = rows.filter((r) => r.reason === "SecretExpiring" || r.reason === "SecretExpired").map((r) => {
      const left = r.expiresOn ? Math.max(0, (Date.parse(r.expiresOn) - now) / 86400000) : null;
      return { row: r, days: r.reason === "SecretExpired" ? 0 : left };
    });
    expiring.sort((a, b) => (a.days ?? 1e9) - (b.days ?? 1e9));
    const list = $("expiry");
    list.replaceChildren();
    const widest = Math.max(30, ...expiring.map((e) => e.days || 0));
    for (const { row, days } of expiring.slice(0, 8)) {
      const fill = el("span", {});
      fill.style.width = Math.max(4, 100 - (100 * (days ?? widest)) / widest) + "%";
      const label = days === 0 ? "expired" : days === null ? "soon" : days.toFixed(1) + " days";
      list.append(el("li", {},
        el("span", {}, row.registry + "/" + row.name),
        el("span", { class: "days" }, label),
        el("span", { class: "bar" + (days === 0 ? " expired" : ""), "aria-hidden": "true" }, fill)));
    }
    if (!expiring.length) list.append(el("li", { class: "empty" }, "No secret expires within the warning window."));
  }

  function drawFlags(rows) {
    const flagged = rows.filter((r) => r.status !== "Healthy").sort((a, b) => b.since.localeCompare(a.since)).slice(0, 6);
    const list = $("flags");
    list.replaceChildren();
    for (const r of flagged) {
      list.append(el("li", {}, timeNode(r.since), badge(r.status), " ", r.registry + "/" + r.name + ": " + reasonText(r)));
    }
    if (!flagged.length) list.append(el("li", { class: "empty" }, "Nothing is flagged."));
  }

  function shortResource(id) {
    const parts = (id || "").split("/");
    return parts.slice(-3).join("/");
  }

  async function drawAudit() {
    const list = $("audit");
    try {
      const entries = (await api("GET", "audit")).body.value.slice(-8).reverse();
      list.replaceChildren();
      for (const e of entries) {
        const cause = e.cause.eventType || e.cause.request || e.cause.kind || "";
        list.append(el("li", {}, timeNode(e.time), e.action + " " + shortResource(e.resource) + (cause ? " — because of " + cause : "")));
      }
      if (!entries.length) list.append(el("li", { class: "empty" }, "No change in the last 24 hours."));
    } catch (error) {
      list.replaceChildren(el("li", { class: "empty" }, "The audit could not be read: " + error.message));
    }
  }

  // table: false redraws tiles and side panels only, keeping answers the user opened in the table
  async function load({ table = true } = {}) {
    $("refresh").disabled = true;
    try {
      const page = (await api("GET", healthQuery({ top: PAGE, skip: state.skip }))).body;
      if (table) {
        state.next = page.nextLink || null;
        drawRules(page);
        performance.mark("dashboard:rules-drawn");  // user timing: bench/bench_dashboard.py reads the first one
      }
      // tiles and side panels show the whole fleet, whatever the table's filter or page
      const filtered = state.status || state.registry || state.skip;
      const fleet = filtered ? (await api("GET", "health?top=" + PAGE)).body : page;
      drawTiles(fleet);
      // Warnings follow the Unhealthy rules: ask for their own page only when the first page cannot hold them all
      const s = fleet.summary;
      const warnings = s.warning && s.unhealthy + s.warning > fleet.rules.length
        ? (await api("GET", "health?status=Warning&top=" + PAGE)).body.rules
        : fleet.rules.filter((r) => r.status === "Warning");
      drawExpiry(fleet.rules.filter((r) => r.reason === "SecretExpired").concat(warnings));
      drawFlags(fleet.rules);
      $("updated").textContent = "Updated " + new Date(fleet.generatedAt).toLocaleTimeString();
    } catch (error) {
      say("Could not load the health report: " + error.message);
    } finally {
      $("refresh").disabled = false;
    }
    await drawAudit();
    document.body.dataset.loads = String(++state.loads);  // tells tests (and nothing else) a redraw finished
  }

  async function sweepNow() {
    const button = $("sweep-now");
    button.disabled = true;
    say("Sweeping every registry…");
    try {
      let answer = await api("POST", "sweeps");
      let result = answer.body;
      while (result.status !== "Completed") {
        await new Promise((r) => setTimeout(r, 1000));
        result = (await api("GET", "sweeps/" + encodeURIComponent(result.id))).body;
      }
      say("Sweep done: " + result.rules + " rules in " + result.registries + " registries, " + result.unhealthyRules + " unhealthy.");
      await load();
    } catch (error) {
      say("The sweep failed: " + error.message);
    } finally {
      button.disabled = false;
    }
  }

  $("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    const registry = $("filter-registry");
    if (!registry.checkValidity()) {
      say("A registry name is 5 to 50 letters and digits.");
      registry.focus();
      return;
    }
    state.status = $("filter-status").value;
    state.registry = registry.value.trim();
    state.sort = $("filter-sort").value;
    state.skip = 0;
    load();
  });
  $("page-next").addEventListener("click", () => { if (state.next) { state.skip += PAGE; load().then(() => $("rules-heading").focus()); } });
  $("page-prev").addEventListener("click", () => { state.skip = Math.max(0, state.skip - PAGE); load().then(() => $("rules-heading").focus()); });
  $("refresh").addEventListener("click", () => load());
  $("sweep-now").addEventListener("click", sweepNow);
  setInterval(() => { if (!document.hidden) load({ table: !document.querySelector("tr.answer") }); }, REFRESH_MS);
  load();
})();
