package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hook-redeliver/hook-redeliver/internal/input"
)

// ReadFrom is where the since input starts reading, for GitHub's time now;
// nil without since, when the run reads from the checkpoint.
func (c *Config) ReadFrom() func(now time.Time) time.Time {
	if !c.since.set() {
		return nil
	}
	return c.since.resolve
}

// WithoutSince is a copy of c that reads from the checkpoint: --loop's
// passes after the first.
func (c *Config) WithoutSince() *Config {
	next := *c
	next.since, next.Since = sinceSpec{}, ""
	return &next
}

// sinceSpec is the since input: a time, or a duration back from GitHub's now.
type sinceSpec struct {
	at  time.Time
	ago time.Duration
}

func (s sinceSpec) set() bool { return !s.at.IsZero() || s.ago > 0 }

func (s sinceSpec) resolve(now time.Time) time.Time {
	if !s.at.IsZero() {
		return s.at
	}
	return now.Add(-s.ago)
}

// sinceSkew is how far ahead of the runner's clock a since time may lie.
// The runner's clock and GitHub's (which the run reads by) may disagree by a
// little, and a time just ahead is "now" taken from another machine's
// clock: the run then reads from GitHub's now. Further ahead it is a
// mistake (a year mistyped, seconds taken for milliseconds) that would
// make the run read nothing.
const sinceSkew = 5 * time.Minute

// parseSince reads an RFC 3339 time, epoch milliseconds or a duration such as
// 36h or 3d (always back from now). A time more than sinceSkew ahead of now,
// the runner's clock, is an error.
func parseSince(v string, now time.Time) (sinceSpec, error) {
	var at time.Time
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		at = t.UTC()
	} else if ms, err := strconv.ParseInt(v, 10, 64); err == nil && ms > 0 {
		at = time.UnixMilli(ms).UTC()
	}
	if !at.IsZero() {
		if at.After(now.Add(sinceSkew)) {
			what := input.Value("since", v)
			if t := at.Format(time.RFC3339); t != v {
				what += " (" + t + ")"
			}
			return sinceSpec{}, fmt.Errorf("%s is in the future: the runner's clock reads %s; give a past time, "+
				"or a duration back from now such as 36h or 3d", what, now.UTC().Format(time.RFC3339))
		}
		return sinceSpec{at: at}, nil
	}
	if days, ok := strings.CutSuffix(v, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n > 0 {
			return sinceSpec{ago: time.Duration(n) * 24 * time.Hour}, nil
		}
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return sinceSpec{ago: d}, nil
	}
	return sinceSpec{}, fmt.Errorf("want an RFC 3339 time (2026-11-20T06:00:00Z), epoch milliseconds (1763618400000) or a duration back from now (36h, 3d), got %s", input.Value("since", v))
}
