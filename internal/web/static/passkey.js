// Passkeys (WebAuthn): add one in settings, log in with one. Without
// JavaScript or WebAuthn the page says so and the password form is used.
(function () {
  'use strict';
  if (!window.PublicKeyCredential || !window.fetch) return;

  function fromB64u(s) {
    s = s.replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) s += '=';
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function toB64u(buf) {
    var bytes = new Uint8Array(buf), bin = '';
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  function ids(list) {
    (list || []).forEach(function (c) { c.id = fromB64u(c.id); });
  }
  // Turns a credential into the JSON the server reads (WebAuthn §5.1 toJSON).
  function credentialJSON(c) {
    var r = c.response, resp = { clientDataJSON: toB64u(r.clientDataJSON) };
    if (r.attestationObject) {
      resp.attestationObject = toB64u(r.attestationObject);
      if (r.getTransports) resp.transports = r.getTransports();
    } else {
      resp.authenticatorData = toB64u(r.authenticatorData);
      resp.signature = toB64u(r.signature);
      if (r.userHandle) resp.userHandle = toB64u(r.userHandle);
    }
    return { id: c.id, rawId: toB64u(c.rawId), type: c.type, response: resp,
      authenticatorAttachment: c.authenticatorAttachment || undefined,
      clientExtensionResults: c.getClientExtensionResults ? c.getClientExtensionResults() : {} };
  }
  function send(url, body, isForm) {
    var opts = { method: 'POST', headers: { 'Accept': 'application/json' }, credentials: 'same-origin' };
    if (isForm) opts.body = new URLSearchParams(new FormData(body));
    else { opts.body = JSON.stringify(body); opts.headers['Content-Type'] = 'application/json'; }
    return fetch(url, opts).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (!resp.ok) {
          var msg = data.error || 'Something went wrong. Please try again.';
          if (data.fields) msg = Object.keys(data.fields).map(function (k) { return data.fields[k]; }).join(' ') || msg;
          throw new Error(msg);
        }
        return data;
      });
    });
  }
  function showError(box, err) {
    if (!box) return;
    box.textContent = err && err.name === 'NotAllowedError'
      ? 'The passkey request was cancelled or timed out.'
      : (err && err.message) || 'Something went wrong. Please try again.';
    box.hidden = false;
  }

  var reg = document.querySelector('form[data-passkey-register]');
  if (reg) {
    var note = reg.querySelector('[data-passkey-nojs]');
    if (note) note.hidden = true;
    reg.addEventListener('submit', function (e) {
      e.preventDefault();
      var box = reg.querySelector('[data-passkey-error]');
      box.hidden = true;
      send('/settings/passkeys/begin', reg, true).then(function (opts) {
        var pk = opts.publicKey;
        pk.challenge = fromB64u(pk.challenge);
        pk.user.id = fromB64u(pk.user.id);
        ids(pk.excludeCredentials);
        return navigator.credentials.create({ publicKey: pk });
      }).then(function (cred) {
        return send('/settings/passkeys/finish', credentialJSON(cred));
      }).then(function (done) {
        window.location = done.redirect || '/settings/passkeys';
      }).catch(function (err) { showError(box, err); });
    });
  }

  var login = document.querySelector('[data-passkey-login]');
  if (login) {
    login.hidden = false;
    var next = login.getAttribute('data-passkey-login') || '';
    login.querySelector('button').addEventListener('click', function () {
      var box = login.querySelector('[data-passkey-error]');
      box.hidden = true;
      send('/login/passkey/begin', {}).then(function (opts) {
        var pk = opts.publicKey;
        pk.challenge = fromB64u(pk.challenge);
        ids(pk.allowCredentials);
        return navigator.credentials.get({ publicKey: pk });
      }).then(function (cred) {
        return send('/login/passkey/finish?next=' + encodeURIComponent(next), credentialJSON(cred));
      }).then(function (done) {
        window.location = done.redirect || '/';
      }).catch(function (err) { showError(box, err); });
    });
  }
})();
