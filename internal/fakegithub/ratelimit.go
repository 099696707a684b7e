package fakegithub

import (
	"strconv"
	"time"
)

// rateWindow counts one credential's requests in its current hour. As on
// GitHub, a window starts with the credential's first request and the
// counter resets an hour later.
type rateWindow struct {
	start time.Time
	used  int
}

// window returns key's current window, starting a new one when the last has
// run out.
func (s *Server) window(key string, now time.Time) *rateWindow {
	w := s.windows[key]
	if w == nil {
		w = &rateWindow{start: now}
		s.windows[key] = w
	}
	if !now.Before(w.start.Add(time.Hour)) {
		w.start, w.used = now, 0
	}
	return w
}

// rateHeaders adds the X-RateLimit-* headers.
func (s *Server) rateHeaders(rep *reply, w *rateWindow, limit int) {
	remaining := limit - w.used
	if limit <= 0 {
		// Unlimited: report GitHub's usual limit but never let Remaining
		// reach 0, because go-github refuses to send anything (locally,
		// until Reset) after seeing a 0 and this fake promised no limit.
		limit = defaultRateLimit
		remaining = max(limit-w.used, 1)
	}
	remaining = max(remaining, 0)
	if rep.header == nil {
		rep.header = make(map[string][]string, 8)
	}
	h := rep.header
	h["X-Ratelimit-Limit"] = []string{strconv.Itoa(limit)}
	h["X-Ratelimit-Remaining"] = []string{strconv.Itoa(remaining)}
	h["X-Ratelimit-Used"] = []string{strconv.Itoa(w.used)}
	h["X-Ratelimit-Reset"] = []string{strconv.FormatInt(w.start.Add(time.Hour).Unix(), 10)}
	h["X-Ratelimit-Resource"] = []string{"core"}
}
