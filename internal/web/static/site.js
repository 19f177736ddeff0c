// Small enhancements of Chorus pages; every page works without them.
(function () {
  'use strict';

  // [data-autorefresh="5"]: reload the page every few seconds while tracks
  // are processing, unless the person is filling in a form on it.
  function autorefresh() {
    var el = document.querySelector('[data-autorefresh]');
    if (!el) return;
    var secs = parseInt(el.getAttribute('data-autorefresh'), 10) || 5;
    var dirty = false;
    document.addEventListener('input', function () { dirty = true; }, true);
    document.addEventListener('change', function () { dirty = true; }, true);
    setInterval(function () {
      var a = document.activeElement;
      var busy = a && /^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName);
      var open = document.querySelector('details[open]');
      if (!dirty && !busy && !open && document.visibilityState !== 'hidden') window.location.reload();
    }, secs * 1000);
  }

  // form[data-upload-form]: send with XMLHttpRequest to show a progress
  // bar, then show the answer page. Without JS the form posts normally.
  function uploadProgress() {
    var form = document.querySelector('form[data-upload-form]');
    if (!form || !window.FormData || !window.XMLHttpRequest) return;
    var box = form.querySelector('[data-upload-progress]');
    var bar = form.querySelector('[data-upload-bar]');
    var status = form.querySelector('[data-upload-status]');
    var button = form.querySelector('button[type="submit"]');
    var sending = false;
    function mb(n) { return n >= 1e9 ? (n / 1e9).toFixed(2) + ' GB' : (n / 1e6).toFixed(1) + ' MB'; }
    window.addEventListener('beforeunload', function (ev) {
      if (sending) { ev.preventDefault(); ev.returnValue = ''; }
    });
    form.addEventListener('submit', function (ev) {
      if (sending) { ev.preventDefault(); return; }
      if (form.checkValidity && !form.checkValidity()) return;
      ev.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open('POST', form.action);
      xhr.upload.addEventListener('progress', function (e) {
        if (!e.lengthComputable) return;
        var pct = Math.round(e.loaded / e.total * 100);
        bar.value = pct;
        bar.textContent = pct + '%';
        status.textContent = pct < 100 ? mb(e.loaded) + ' of ' + mb(e.total) + ' sent (' + pct + '%)' : 'Sent. Checking your files…';
      });
      xhr.addEventListener('load', function () {
        sending = false;
        document.open();
        document.write(xhr.responseText);
        document.close();
      });
      function failed() {
        sending = false;
        button.disabled = false;
        status.textContent = 'The upload did not go through. Check your connection and try again.';
      }
      xhr.addEventListener('error', failed);
      xhr.addEventListener('abort', failed);
      sending = true;
      button.disabled = true;
      box.hidden = false;
      bar.value = 0;
      status.textContent = 'Starting…';
      xhr.send(new FormData(form));
    });
  }

  // [data-copy]: copy the text of the nearby [data-copy-source].
  function copyButtons() {
    if (!navigator.clipboard || !window.isSecureContext) return;
    var buttons = document.querySelectorAll('[data-copy]');
    Array.prototype.forEach.call(buttons, function (b) {
      var src = b.parentNode.querySelector('[data-copy-source]');
      if (!src) return;
      b.hidden = false;
      b.addEventListener('click', function () {
        navigator.clipboard.writeText(src.textContent.trim()).then(function () {
          var report = b.getAttribute('data-share-report');
          if (report && window.fetch) {
            fetch(report, { method: 'POST', credentials: 'same-origin' }).catch(function () {});
          }
          b.textContent = 'Copied';
          setTimeout(function () { b.textContent = 'Copy'; }, 2000);
        });
      });
    });
  }

  // [data-radio]: an in-store radio channel. When a track ends (or on
  // "Next track"), ask the server for the next one and play it.
  function radio() {
    var box = document.querySelector('[data-radio]');
    if (!box || !window.fetch) return;
    var audio = box.querySelector('audio');
    var title = box.querySelector('[data-radio-title]');
    var artist = box.querySelector('[data-radio-artist]');
    var skip = box.querySelector('[data-radio-skip]');
    var url = box.getAttribute('data-radio-next');
    var busy = false;
    function next() {
      if (busy) return;
      busy = true;
      var after = box.getAttribute('data-radio-track') || '';
      fetch(url + '?after=' + encodeURIComponent(after), { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
        .then(function (resp) { if (!resp.ok) throw new Error(resp.status); return resp.json(); })
        .then(function (t) {
          box.setAttribute('data-radio-track', String(t.id));
          title.textContent = t.title;
          artist.textContent = t.artist;
          audio.src = t.stream;
          var p = audio.play();
          if (p && p.catch) p.catch(function () { /* autoplay refused */ });
        })
        .catch(function () { title.textContent = 'The radio could not fetch the next track'; })
        .then(function () { busy = false; });
    }
    audio.addEventListener('ended', next);
    if (skip) {
      skip.hidden = false;
      skip.addEventListener('click', next);
    }
  }

  function init() { autorefresh(); uploadProgress(); copyButtons(); radio(); }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
