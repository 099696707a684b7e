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

// parseSince reads an RFC 3339 time, epoch milliseconds or a duration such as
// 36h or 3d.
func parseSince(v string) (sinceSpec, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return sinceSpec{at: t.UTC()}, nil
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil && ms > 0 {
		return sinceSpec{at: time.UnixMilli(ms).UTC()}, nil
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
