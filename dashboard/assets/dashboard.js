// baktainer dashboard: refreshes the server-rendered content, sends the API
// token (kept in sessionStorage, never in the page) as a bearer header, and
// posts run-now and test-restore requests to the agent's API. A real restore
// into a live container has no button: it stays on the command line.
(function () {
  'use strict';
  var KEY = 'baktainer.apiToken';
  var root = document.getElementById('bt-root');
  var content = document.getElementById('bt-content');
  var form = document.getElementById('bt-token-form');
  var input = document.getElementById('bt-token');
  var forget = document.getElementById('bt-forget');
  var message = document.getElementById('bt-message');
  var tokenRequired = root.dataset.tokenRequired === 'true';
  var refreshMs = Number(root.dataset.refresh || 10) * 1000;

  function token() { return sessionStorage.getItem(KEY) || ''; }

  function headers(extra) {
    var h = extra || {};
    if (token()) { h.Authorization = 'Bearer ' + token(); }
    return h;
  }

  function say(text) {
    message.textContent = text;
    message.hidden = !text;
  }

  function askToken(why) {
    form.hidden = false;
    forget.hidden = true;
    content.textContent = '';
    if (why) { say(why); }
    input.focus();
  }

  async function refresh() {
    if (tokenRequired && !token()) { askToken(); return; }
    try {
      var resp = await fetch('/dashboard/targets', { headers: headers(), cache: 'no-store', credentials: 'omit' });
      if (resp.status === 401) {
        sessionStorage.removeItem(KEY);
        askToken('The agent did not accept that token.');
        return;
      }
      if (!resp.ok) { say('Refresh failed: HTTP ' + resp.status); return; }
      // Rendered and escaped by the agent's html/template.
      content.innerHTML = await resp.text();
      form.hidden = true;
      forget.hidden = !tokenRequired;
      root.dataset.loaded = 'true';
    } catch (err) {
      say('Refresh failed: ' + err.message);
    }
  }

  // post asks the API for a backup (/api/v1/backups) or a test-restore
  // (/api/v1/verify) of the button's container.
  async function post(button, path, what, idKey) {
    var container = button.dataset.container;
    button.disabled = true;
    try {
      var resp = await fetch(path, {
        method: 'POST', credentials: 'omit',
        headers: headers({ 'Content-Type': 'application/json' }),
        body: JSON.stringify({ container: container })
      });
      var body = {};
      try { body = await resp.json(); } catch (e) { /* not JSON */ }
      if (resp.status === 202) {
        say(what + ' of ' + container + ' queued (' + body.id + ').');
        root.dataset[idKey] = body.id;
      } else if (resp.status === 401) {
        sessionStorage.removeItem(KEY);
        askToken('The agent did not accept that token.');
        return;
      } else {
        say(what + ' of ' + container + ' not queued: ' + (body.error || ('HTTP ' + resp.status)));
      }
    } catch (err) {
      say(what + ' of ' + container + ' not queued: ' + err.message);
    }
    setTimeout(refresh, 1000);
  }

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    sessionStorage.setItem(KEY, input.value.trim());
    input.value = '';
    say('');
    refresh();
  });
  forget.addEventListener('click', function () {
    sessionStorage.removeItem(KEY);
    askToken('Token forgotten.');
  });
  content.addEventListener('click', function (ev) {
    var button = ev.target.closest('button.run-now');
    if (button && !button.disabled) { post(button, '/api/v1/backups', 'Backup', 'lastAttempt'); }
    button = ev.target.closest('button.test-restore');
    if (button && !button.disabled) { post(button, '/api/v1/verify', 'Test-restore', 'lastTestRestore'); }
  });

  if (tokenRequired) { refresh(); } else { root.dataset.loaded = 'true'; }
  setInterval(refresh, refreshMs);
})();
