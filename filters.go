package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

// eventFilter is the events input: event names, optionally with an action
// ("push", "pull_request.opened"). Empty means every event.
type eventFilter map[string]bool

func parseEvents(v string) (eventFilter, error) {
	f := eventFilter{}
	for _, e := range splitList(v) {
		name, action, _ := strings.Cut(e, ".")
		if !validEventPart(name) || (strings.Contains(e, ".") && !validEventPart(action)) {
			return nil, fmt.Errorf("want event names, optionally with an action, such as push, pull_request.opened; got %q", e)
		}
		f[strings.ToLower(e)] = true
	}
	return f, nil
}

func validEventPart(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

func (f eventFilter) match(d redeliver.Delivery) bool {
	if len(f) == 0 {
		return true
	}
	ev := strings.ToLower(d.Event)
	return f[ev] || (d.Action != "" && f[ev+"."+strings.ToLower(d.Action)])
}

// statusSet is the exclude-status-codes input: codes and ranges
// ("400-407,409-424"), or "none". Empty, the default, is none: a 404 or 401
// comes from outages (a route not deployed yet, a load balancer with no
// backend, a rotated secret) far more often than from a receiver refusing a
// payload on purpose, and max-attempts bounds the refusals anyway.
type statusSet [][2]int

func parseStatusSet(v string) (statusSet, error) {
	if strings.EqualFold(strings.TrimSpace(v), "none") {
		return nil, nil
	}
	var s statusSet
	for _, part := range splitList(v) {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err1 := strconv.Atoi(strings.TrimSpace(lo))
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.Atoi(strings.TrimSpace(hi))
		}
		if err1 != nil || err2 != nil || a < 100 || b > 599 || a > b {
			return nil, fmt.Errorf("want HTTP status codes and ranges such as 400-407,409-424,426-428,430-499, or none; got %q", part)
		}
		s = append(s, [2]int{a, b})
	}
	return s, nil
}

func (s statusSet) has(code int) bool {
	for _, r := range s {
		if code >= r[0] && code <= r[1] {
			return true
		}
	}
	return false
}

func splitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' || r == ' ' || r == '\t' })
}

// skip is the pass's filter: deliveries of other events, and deliveries whose
// status code the user listed as refused on purpose (the same payload would be
// refused again), are reported as skipped rather than redelivered.
func (c *Config) skip(f *redeliver.Failure) (string, bool) {
	if !c.events.match(f.Latest) {
		return "event not in the events input", true
	}
	if code := f.Latest.StatusCode; code != 0 && c.excluded.has(code) {
		return fmt.Sprintf("the receiver answered %d (exclude-status-codes)", code), true
	}
	return "", false
}
