package redeliver

import (
	"fmt"
	"strconv"
	"strings"
)

// Filter excludes failures from redelivery: events the user did not ask for,
// and status codes a receiver answers on purpose. The zero Filter excludes
// nothing.
type Filter struct {
	events   map[string]bool // "push", "pull_request.opened"; empty: every event
	excluded [][2]int        // status code ranges
}

// ParseEvents reads the events input: event names, optionally with an action
// ("push, pull_request.opened").
func ParseEvents(v string) (map[string]bool, error) {
	f := map[string]bool{}
	for _, e := range splitList(v) {
		name, action, _ := strings.Cut(e, ".")
		if !validEventPart(name) || (strings.Contains(e, ".") && !validEventPart(action)) {
			return nil, fmt.Errorf("want event names, optionally with an action, such as push, pull_request.opened; got %q", e)
		}
		f[strings.ToLower(e)] = true
	}
	return f, nil
}

// ParseStatusCodes reads the exclude-status-codes input: codes and ranges
// ("400-407,409-424"), or "none". Empty, the default, is none: a 404 or 401
// comes from outages (a route not deployed yet, a load balancer with no
// backend, a rotated secret) far more often than from a receiver refusing a
// payload on purpose, and max-attempts bounds the refusals anyway.
func ParseStatusCodes(v string) ([][2]int, error) {
	if v = strings.TrimSpace(v); v == "" || strings.EqualFold(v, "none") {
		return nil, nil
	}
	var s [][2]int
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

// NewFilter returns a filter from parsed inputs.
func NewFilter(events map[string]bool, excluded [][2]int) Filter {
	return Filter{events: events, excluded: excluded}
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

func splitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' || r == ' ' || r == '\t' })
}

// skip says why a failure is excluded, or "" if it is not.
func (f Filter) skip(fl *Failure) string {
	if len(f.events) > 0 {
		ev := strings.ToLower(fl.Latest.Event)
		if !f.events[ev] && !(fl.Latest.Action != "" && f.events[ev+"."+strings.ToLower(fl.Latest.Action)]) {
			return "event not in the events input"
		}
	}
	if code := fl.Latest.StatusCode; code != 0 {
		for _, r := range f.excluded {
			if code >= r[0] && code <= r[1] {
				return fmt.Sprintf("the receiver answered %d (exclude-status-codes)", code)
			}
		}
	}
	return ""
}
