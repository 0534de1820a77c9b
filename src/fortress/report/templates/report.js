(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("fortress-data").textContent);
  var findings = data.findings;
  var SEV_ORDER = {};
  data.severities.forEach(function (s, i) { SEV_ORDER[s] = i; });
  var DEFAULT_STATUS = ["fail", "unknown", "suppressed"];
  var PAGE = 500;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function readHash() {
    var params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    function list(name, fallback) {
      var v = params.get(name);
      if (v === null) { return fallback; }
      return v.split(",").filter(function (x) { return x !== ""; });
    }
    return {
      tab: params.get("tab") || "findings",
      severity: list("severity", []),
      status: list("status", DEFAULT_STATUS),
      practice: params.get("practice") || "",
      account: params.get("account") || "",
      region: params.get("region") || "",
      q: params.get("q") || "",
      limit: params.get("limit") || String(PAGE)
    };
  }

  function writeHash(state) {
    var params = new URLSearchParams();
    if (state.tab !== "findings") { params.set("tab", state.tab); }
    if (state.severity.length) { params.set("severity", state.severity.join(",")); }
    if (state.status.join(",") !== DEFAULT_STATUS.join(",")) { params.set("status", state.status.join(",")); }
    ["practice", "account", "region", "q"].forEach(function (k) { if (state[k]) { params.set(k, state[k]); } });
    if (state.limit !== String(PAGE)) { params.set("limit", state.limit); }
    var text = params.toString();
    if (("#" + text) !== window.location.hash && !(text === "" && window.location.hash === "")) {
      window.location.hash = text;
    }
  }

  function stateFromControls() {
    var state = readHash();
    function checked(name) {
      return Array.prototype.slice.call(document.querySelectorAll("input[name=" + name + "]:checked"))
        .map(function (i) { return i.value; });
    }
    state.severity = checked("severity");
    state.status = checked("status");
    state.practice = document.getElementById("f-practice").value;
    state.account = document.getElementById("f-account").value;
    state.region = document.getElementById("f-region").value;
    state.q = document.getElementById("f-q").value;
    return state;
  }

  function syncControls(state) {
    Array.prototype.forEach.call(document.querySelectorAll("input[name=severity]"), function (i) {
      i.checked = state.severity.indexOf(i.value) >= 0;
    });
    Array.prototype.forEach.call(document.querySelectorAll("input[name=status]"), function (i) {
      i.checked = state.status.indexOf(i.value) >= 0;
    });
    document.getElementById("f-practice").value = state.practice;
    document.getElementById("f-account").value = state.account;
    document.getElementById("f-region").value = state.region;
    if (document.getElementById("f-q").value !== state.q) { document.getElementById("f-q").value = state.q; }
  }

  function matches(f, state) {
    var r = f.resource || {};
    if (state.severity.length && state.severity.indexOf(f.severity) < 0) { return false; }
    if (state.status.indexOf(f.status) < 0) { return false; }
    if (state.practice && f.practice !== state.practice) { return false; }
    if (state.account && String(r.account || "") !== state.account) { return false; }
    if (state.region && String(r.region || "") !== state.region) { return false; }
    if (state.q) {
      var hay = [r.id, r.name, r.file, r.logical_id, r.type].join(" ").toLowerCase();
      if (hay.indexOf(state.q.toLowerCase()) < 0) { return false; }
    }
    return true;
  }

  function where(r) {
    if (r.file) {
      var loc = r.line ? r.file + ":" + r.line : r.file;
      return r.logical_id ? loc + " (" + r.logical_id + ")" : loc;
    }
    return (r.name || r.id || "") + (r.region ? " [" + r.region + "]" : "");
  }

  function addField(dl, label, value, pre) {
    if (value === undefined || value === null || value === "") { return; }
    dl.appendChild(el("dt", null, label));
    var dd = el("dd");
    dd.appendChild(pre ? el("pre", null, value) : document.createTextNode(String(value)));
    dl.appendChild(dd);
  }

  function pairs(obj) {
    return Object.keys(obj || {}).filter(function (k) { return (obj[k] || []).length; })
      .map(function (k) { return k + ": " + obj[k].join(", "); }).join("\n");
  }

  function findingNode(f) {
    var r = f.resource || {};
    var node = el("details", "finding");
    node.dataset.rule = f.rule_id;
    node.dataset.severity = f.severity;
    node.dataset.status = f.status;
    node.dataset.practice = f.practice;
    var summary = el("summary");
    summary.appendChild(el("span", "sev sev-" + f.severity, f.severity));
    summary.appendChild(el("span", "st st-" + f.status, f.status));
    summary.appendChild(el("span", "rule", f.rule_id));
    summary.appendChild(el("span", "title", f.title));
    summary.appendChild(el("span", "res", where(r)));
    node.appendChild(summary);
    var body = el("div", "body");
    var dl = el("dl");
    addField(dl, "Finding", f.message);
    addField(dl, "Resource", [r.id, r.type, r.account, r.region].filter(Boolean).join("  ·  "));
    addField(dl, "Location", r.file ? where(r) : "");
    addField(dl, "Suppressed because", f.suppression);
    if (f.evidence && Object.keys(f.evidence).length) {
      addField(dl, "Evidence", JSON.stringify(f.evidence, null, 2), true);
    }
    addField(dl, "Remediation", f.remediation, true);
    var snippets = data.snippets[f.rule_id] || {};
    Object.keys(snippets).forEach(function (k) { addField(dl, "Fix with " + k, snippets[k], true); });
    addField(dl, "Equivalent checks", pairs(f.references), true);
    addField(dl, "Framework controls", pairs(f.controls), true);
    body.appendChild(dl);
    node.appendChild(body);
    return node;
  }

  function showTab(tab) {
    Array.prototype.forEach.call(document.querySelectorAll("section.tab"), function (s) {
      s.hidden = s.id !== "tab-" + tab;
    });
    Array.prototype.forEach.call(document.querySelectorAll("nav.tabs a"), function (a) {
      a.className = a.dataset.tab === tab ? "active" : "";
    });
  }

  function apply() {
    var state = readHash();
    syncControls(state);
    showTab(state.tab);
    var list = document.getElementById("findings");
    while (list.firstChild) { list.removeChild(list.firstChild); }
    var shown = findings.filter(function (f) { return matches(f, state); });
    shown.sort(function (a, b) {
      return (SEV_ORDER[a.severity] - SEV_ORDER[b.severity]) || (a.rule_id < b.rule_id ? -1 : a.rule_id > b.rule_id ? 1 : 0);
    });
    var limit = state.limit === "all" ? shown.length : parseInt(state.limit, 10) || PAGE;
    var fragment = document.createDocumentFragment();
    shown.slice(0, limit).forEach(function (f) { fragment.appendChild(findingNode(f)); });
    list.appendChild(fragment);
    var count = document.getElementById("shown-count");
    count.dataset.count = String(shown.length);
    count.textContent = shown.length + " of " + findings.length + " findings match" +
      (shown.length > limit ? " (first " + limit + " shown)" : "");
    document.getElementById("show-all").hidden = shown.length <= limit;
    document.body.dataset.ready = "1";
  }

  function addOptions(id, values) {
    var select = document.getElementById(id);
    values.sort().forEach(function (v) {
      var option = el("option", null, v);
      option.value = v;
      select.appendChild(option);
    });
  }

  function facet(field) {
    var seen = {};
    findings.forEach(function (f) {
      var v = (f.resource || {})[field];
      if (v) { seen[String(v)] = true; }
    });
    return Object.keys(seen);
  }

  function onChange() { writeHash(stateFromControls()); }

  addOptions("f-account", facet("account"));
  addOptions("f-region", facet("region"));

  Array.prototype.forEach.call(document.querySelectorAll(".filters input, .filters select"), function (i) {
    i.addEventListener(i.type === "search" ? "input" : "change", onChange);
  });
  Array.prototype.forEach.call(document.querySelectorAll("nav.tabs a"), function (a) {
    a.addEventListener("click", function (e) {
      e.preventDefault();
      var state = stateFromControls();
      state.tab = a.dataset.tab;
      writeHash(state);
    });
  });
  document.getElementById("show-all").addEventListener("click", function () {
    var state = stateFromControls();
    state.limit = "all";
    writeHash(state);
  });
  window.addEventListener("hashchange", apply);
  apply();
}());
