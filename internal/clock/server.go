package clock

import (
	"net/http"
	"sync"
	"time"
)

// Server estimates GitHub's clock from the Date header of its responses.
//
// The runner's clock and GitHub's differ. Everything compared with GitHub's
// timestamps (delivered_at, X-RateLimit-Reset, JWT iat/exp) uses this estimate
// rather than the local clock, so a skewed runner neither skips deliveries nor
// mints JWTs that GitHub rejects. Until a response has been seen the estimate is
// the local clock.
type Server struct {
	local Clock

	mu     sync.Mutex
	offset time.Duration
	known  bool
}

// NewServer returns an estimator that starts with no offset.
func NewServer(local Clock) *Server { return &Server{local: local} }

// Local returns the clock the estimate is based on.
func (s *Server) Local() Clock { return s.local }

// Observe records the Date header of a response, if it has one.
func (s *Server) Observe(h http.Header) {
	v := h.Get("Date")
	if v == "" {
		return
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return
	}
	s.ObserveTime(t)
}

// ObserveTime records that GitHub's clock read t just now.
func (s *Server) ObserveTime(t time.Time) {
	// The header has whole seconds and was written a little before it
	// arrived: add half a second so the estimate is unbiased.
	off := t.Add(500 * time.Millisecond).Sub(s.local.Now())
	s.mu.Lock()
	s.offset, s.known = off, true
	s.mu.Unlock()
}

// Now returns the estimate of GitHub's current time.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	off := s.offset
	s.mu.Unlock()
	return s.local.Now().Add(off)
}

// Offset returns GitHub's clock minus the local clock, and whether any Date
// header has been seen yet.
func (s *Server) Offset() (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offset, s.known
}
