// Chorus player. Pages render a plain <audio controls> inside [data-player],
// which works without this script; here it becomes a player with a
// play/pause button, a waveform to seek in, elapsed/total time and, when the
// page has an album list ([data-playlist]), previous/next tracks and
// continuous play; a playlist's "Play all" ([data-play-all]) starts it from the top.
(function () {
  'use strict';

  // fmt writes seconds as m:ss (h:mm:ss from an hour); round is used for
  // totals so that they match the server's, elapsed time is floored.
  function fmt(s, round) {
    if (!isFinite(s) || s < 0) s = 0;
    s = round ? Math.round(s) : Math.floor(s);
    var h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, sec = s % 60;
    var ss = (sec < 10 ? '0' : '') + sec;
    if (h > 0) return h + ':' + (m < 10 ? '0' : '') + m + ':' + ss;
    return m + ':' + ss;
  }

  function parsePeaks(str) {
    if (!str) return [];
    var out = [];
    var parts = str.split(',');
    for (var i = 0; i < parts.length; i++) {
      var v = parseFloat(parts[i]);
      out.push(isFinite(v) ? Math.max(0, Math.min(1, v)) : 0);
    }
    return out;
  }

  // resample reduces or stretches peaks to n bars, keeping the loudest value
  // of each group so that short loud moments stay visible.
  function resample(peaks, n) {
    var out = new Array(n);
    if (!peaks.length) {
      for (var k = 0; k < n; k++) out[k] = 0.12;
      return out;
    }
    for (var i = 0; i < n; i++) {
      var lo = Math.floor(i * peaks.length / n);
      var hi = Math.max(lo + 1, Math.floor((i + 1) * peaks.length / n));
      var m = 0;
      for (var j = lo; j < hi && j < peaks.length; j++) if (peaks[j] > m) m = peaks[j];
      out[i] = m;
    }
    // Normalise so that quiet masters still draw a readable outline.
    var max = 0;
    for (var q = 0; q < n; q++) if (out[q] > max) max = out[q];
    if (max > 0 && max < 0.9) for (var r = 0; r < n; r++) out[r] = out[r] / max * 0.9;
    return out;
  }

  function Player(root) {
    this.root = root;
    this.audio = root.querySelector('audio');
    this.ui = root.querySelector('[data-player-ui]');
    if (!this.audio || !this.ui) return;
    this.playBtn = root.querySelector('[data-play]');
    this.prevBtn = root.querySelector('[data-prev]');
    this.nextBtn = root.querySelector('[data-next]');
    this.wave = root.querySelector('[data-wave]');
    this.canvas = this.wave && this.wave.querySelector('canvas');
    this.elapsedEl = root.querySelector('[data-elapsed]');
    this.totalEl = root.querySelector('[data-total]');
    this.titleEl = root.querySelector('[data-now-title]');
    this.volume = root.querySelector('[data-volume]');
    this.peaks = parsePeaks(root.getAttribute('data-peaks'));
    this.knownDuration = parseFloat(root.getAttribute('data-duration')) || 0;
    this.pendingSeek = null;
    this.dragging = false;
    this.raf = 0;

    this.list = document.querySelector('[data-playlist]');
    this.items = this.list ? Array.prototype.slice.call(this.list.querySelectorAll('li[data-stream]')) : [];
    this.index = -1;
    var id = root.getAttribute('data-track-id');
    for (var i = 0; i < this.items.length; i++) {
      if (this.items[i].getAttribute('data-track-id') === id) this.index = i;
    }

    this.enhance();
  }

  Player.prototype.enhance = function () {
    var self = this, a = this.audio;
    this.ui.hidden = false;
    a.controls = false;
    this.root.classList.add('enhanced');

    this.playBtn.addEventListener('click', function () { self.toggle(); });
    if (this.prevBtn) this.prevBtn.addEventListener('click', function () { self.prev(); });
    if (this.nextBtn) this.nextBtn.addEventListener('click', function () { self.next(); });
    if (this.volume) {
      this.volume.addEventListener('input', function () { a.volume = parseFloat(self.volume.value); });
    }

    a.addEventListener('play', function () { self.setPlaying(true); });
    a.addEventListener('pause', function () { self.setPlaying(false); });
    a.addEventListener('ended', function () {
      self.setPlaying(false);
      if (self.index >= 0 && self.index < self.items.length - 1) self.load(self.index + 1, true);
    });
    a.addEventListener('timeupdate', function () { self.update(true); self.countListening(); });
    a.addEventListener('durationchange', function () { self.update(true); });
    a.addEventListener('loadedmetadata', function () {
      if (self.pendingSeek !== null) {
        a.currentTime = self.pendingSeek;
        self.pendingSeek = null;
      }
      self.update(true);
    });
    a.addEventListener('error', function () {
      self.setPlaying(false);
      if (self.titleEl) self.titleEl.textContent = (self.titleEl.textContent.replace(/ — could not be played$/, '')) + ' — could not be played';
    });

    if (this.wave) this.bindWave();
    if (this.items.length) this.bindList();
    // "Play all" (a playlist's page) plays the list as a queue from its first track.
    var all = document.querySelector('[data-play-all]');
    if (all && this.items.length) {
      all.hidden = false;
      all.addEventListener('click', function () { self.load(0, true); });
    }
    this.updateButtons();
    this.mediaSession();
    this.update(true);
  };

  Player.prototype.duration = function () {
    var d = this.audio.duration;
    return isFinite(d) && d > 0 ? d : this.knownDuration;
  };

  Player.prototype.toggle = function () {
    var a = this.audio;
    if (a.paused || a.ended) {
      var p = a.play();
      if (p && p.catch) p.catch(function () { /* autoplay refused or no source */ });
    } else {
      a.pause();
    }
  };

  Player.prototype.setPlaying = function (on) {
    this.playBtn.classList.toggle('playing', on);
    this.playBtn.setAttribute('aria-label', on ? 'Pause' : 'Play');
    if (this.index >= 0 && this.items[this.index]) {
      var li = this.items[this.index];
      var b = li.querySelector('[data-play-item]');
      if (b) {
        b.classList.toggle('playing', on);
        b.setAttribute('aria-label', (on ? 'Pause ' : 'Play ') + (li.getAttribute('data-title') || ''));
      }
    }
    if ('mediaSession' in navigator) navigator.mediaSession.playbackState = on ? 'playing' : 'paused';
    var self = this;
    cancelAnimationFrame(this.raf);
    if (on) {
      var tick = function () { self.update(false); self.raf = requestAnimationFrame(tick); };
      this.raf = requestAnimationFrame(tick);
    }
  };

  Player.prototype.seek = function (t) {
    var d = this.duration();
    if (d > 0) t = Math.max(0, Math.min(d, t)); else t = Math.max(0, t);
    if (this.audio.readyState === 0) {
      this.pendingSeek = t;
      this.audio.load();
    } else {
      this.audio.currentTime = t;
    }
    this.update(true, t);
  };

  // update refreshes the time display and the waveform; aria values only
  // change on whole seconds so that screen readers are not flooded.
  Player.prototype.update = function (full, at) {
    var t = at !== undefined ? at : this.audio.currentTime;
    var d = this.duration();
    if (this.elapsedEl) this.elapsedEl.textContent = fmt(t);
    if (this.totalEl && d) this.totalEl.textContent = fmt(d, true);
    if (full && this.wave) {
      this.wave.setAttribute('aria-valuemax', String(Math.round(d)));
      this.wave.setAttribute('aria-valuenow', String(Math.floor(t)));
      this.wave.setAttribute('aria-valuetext', fmt(t) + ' of ' + fmt(d, true));
    }
    this.draw(at);
  };

  Player.prototype.draw = function (at) {
    var c = this.canvas;
    if (!c) return;
    var w = c.clientWidth, h = c.clientHeight;
    if (!w || !h) return;
    var dpr = window.devicePixelRatio || 1;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(h * dpr);
      this.bars = null;
    }
    var bar = 3, gap = 1.5;
    var n = Math.max(10, Math.floor(w / (bar + gap)));
    if (!this.bars || this.bars.length !== n) this.bars = resample(this.peaks, n);
    var ctx = c.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    var style = getComputedStyle(this.root);
    var played = style.getPropertyValue('--wave-played').trim() || '#6233d6';
    var rest = style.getPropertyValue('--wave').trim() || '#cccccc';
    var d = this.duration();
    var t = at !== undefined ? at : this.audio.currentTime;
    var frac = d > 0 ? Math.min(1, t / d) : 0;
    var mid = h / 2;
    for (var i = 0; i < n; i++) {
      var x = i * (bar + gap);
      var bh = Math.max(2, this.bars[i] * (h - 4));
      ctx.fillStyle = (x + bar / 2) / w <= frac ? played : rest;
      ctx.fillRect(x, mid - bh / 2, bar, bh);
    }
    if (frac > 0 && frac < 1) {
      ctx.fillStyle = played;
      ctx.fillRect(Math.round(frac * w) - 1, 0, 2, h);
    }
  };

  Player.prototype.bindWave = function () {
    var self = this, wave = this.wave;
    function fracAt(ev) {
      var r = wave.getBoundingClientRect();
      return Math.max(0, Math.min(1, (ev.clientX - r.left) / r.width));
    }
    wave.addEventListener('pointerdown', function (ev) {
      if (ev.button !== undefined && ev.button !== 0) return;
      self.dragging = true;
      if (wave.setPointerCapture) wave.setPointerCapture(ev.pointerId);
      self.seek(fracAt(ev) * self.duration());
      ev.preventDefault();
      wave.focus();
    });
    wave.addEventListener('pointermove', function (ev) {
      if (self.dragging) self.seek(fracAt(ev) * self.duration());
    });
    function end() { self.dragging = false; }
    wave.addEventListener('pointerup', end);
    wave.addEventListener('pointercancel', end);
    wave.addEventListener('keydown', function (ev) {
      var t = self.audio.currentTime, d = self.duration();
      var step = { ArrowLeft: -5, ArrowDown: -5, ArrowRight: 5, ArrowUp: 5, PageDown: -30, PageUp: 30 }[ev.key];
      if (step !== undefined) self.seek(t + step);
      else if (ev.key === 'Home') self.seek(0);
      else if (ev.key === 'End') self.seek(Math.max(0, d - 0.5));
      else if (ev.key === ' ' || ev.key === 'Enter') self.toggle();
      else return;
      ev.preventDefault();
    });
    if (window.ResizeObserver) {
      new ResizeObserver(function () { self.draw(); }).observe(wave);
    } else {
      window.addEventListener('resize', function () { self.draw(); });
    }
    if (window.matchMedia) {
      var mq = window.matchMedia('(prefers-color-scheme: dark)');
      var redraw = function () { self.draw(); };
      if (mq.addEventListener) mq.addEventListener('change', redraw);
    }
  };

  Player.prototype.bindList = function () {
    var self = this;
    this.list.classList.add('enhanced');
    this.items.forEach(function (li, i) {
      var b = li.querySelector('[data-play-item]');
      if (!b) return;
      b.hidden = false;
      b.addEventListener('click', function () {
        if (i === self.index) self.toggle();
        else self.load(i, true);
      });
    });
  };

  // load switches the player to the i-th track of the list.
  Player.prototype.load = function (i, autoplay) {
    var li = this.items[i];
    if (!li) return;
    var prev = this.items[this.index];
    if (prev) {
      prev.classList.remove('is-current');
      prev.removeAttribute('aria-current');
      var pb = prev.querySelector('[data-play-item]');
      if (pb) {
        pb.classList.remove('playing');
        pb.setAttribute('aria-label', 'Play ' + (prev.getAttribute('data-title') || ''));
      }
    }
    this.index = i;
    li.classList.add('is-current');
    li.setAttribute('aria-current', 'true');
    this.root.setAttribute('data-track-id', li.getAttribute('data-track-id'));
    this.peaks = parsePeaks(li.getAttribute('data-peaks'));
    this.bars = null;
    this.knownDuration = parseFloat(li.getAttribute('data-duration')) || 0;
    this.pendingSeek = null;
    this.listened = 0;
    this.lastTime = null;
    this.reported = false;
    if (this.titleEl) this.titleEl.textContent = li.getAttribute('data-title') || '';
    this.audio.src = li.getAttribute('data-stream');
    this.audio.load();
    this.update(true, 0);
    this.updateButtons();
    this.mediaSession();
    if (autoplay) {
      var p = this.audio.play();
      if (p && p.catch) p.catch(function () {});
    }
  };

  // countListening adds up the seconds actually played (seeks do not count)
  // and, once they reach a play (30 s, or half of a shorter track), tells
  // the server once per listen.
  Player.prototype.countListening = function () {
    var a = this.audio;
    var t = a.currentTime;
    if (this.lastTime !== null && !a.paused && !a.seeking) {
      var d = t - this.lastTime;
      if (d > 0 && d < 2) this.listened = (this.listened || 0) + d;
    }
    this.lastTime = t;
    var dur = this.duration();
    var need = dur > 0 ? Math.min(30, dur / 2) : 30;
    var id = this.root.getAttribute('data-track-id');
    if (!this.reported && id && this.listened >= need) {
      this.reported = true;
      if (window.fetch) {
        // The page's referrer goes with the play, so that the play counts
        // for the site the listener came from.
        var body = new URLSearchParams();
        body.set('ref', document.referrer || '');
        fetch('/tracks/' + encodeURIComponent(id) + '/play', { method: 'POST', credentials: 'same-origin', body: body }).catch(function () {});
      }
    }
  };

  Player.prototype.prev = function () {
    if (this.audio.currentTime > 3 || this.index <= 0) { this.seek(0); return; }
    this.load(this.index - 1, !this.audio.paused);
  };

  Player.prototype.next = function () {
    if (this.index >= 0 && this.index < this.items.length - 1) this.load(this.index + 1, !this.audio.paused);
  };

  Player.prototype.updateButtons = function () {
    var n = this.items.length;
    if (this.prevBtn) this.prevBtn.disabled = !(n > 1 && this.index >= 0);
    if (this.nextBtn) this.nextBtn.disabled = !(this.index >= 0 && this.index < n - 1);
  };

  Player.prototype.mediaSession = function () {
    if (!('mediaSession' in navigator) || !window.MediaMetadata) return;
    var self = this;
    var li = this.items[this.index];
    var title = li ? li.getAttribute('data-title') : (this.titleEl ? this.titleEl.textContent : '');
    var artist = li ? li.getAttribute('data-artist') : '';
    try {
      navigator.mediaSession.metadata = new MediaMetadata({ title: title || '', artist: artist || '' });
      navigator.mediaSession.setActionHandler('play', function () { self.toggle(); });
      navigator.mediaSession.setActionHandler('pause', function () { self.audio.pause(); });
      navigator.mediaSession.setActionHandler('previoustrack', this.items.length > 1 ? function () { self.prev(); } : null);
      navigator.mediaSession.setActionHandler('nexttrack', this.items.length > 1 ? function () { self.next(); } : null);
    } catch (e) { /* unsupported action */ }
  };

  function init() {
    var roots = document.querySelectorAll('[data-player]');
    for (var i = 0; i < roots.length; i++) {
      if (!roots[i].chorusPlayer) roots[i].chorusPlayer = new Player(roots[i]);
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
