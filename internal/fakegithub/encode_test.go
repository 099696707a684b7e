package fakegithub

import (
	"testing"
	"time"
)

func TestDayCacheMatchesTimeFormat(t *testing.T) {
	t.Parallel()
	var dc dayCache
	for _, tm := range []time.Time{
		start, start.Add(-time.Nanosecond), start.Add(999 * time.Millisecond), start.Add(18*time.Hour - time.Second),
		start.Add(18 * time.Hour), time.Unix(0, 0), time.Unix(-1, 0), time.Unix(-1, 5), time.Date(1969, 12, 31, 23, 59, 59, 1, time.UTC),
		time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		got := string(dc.appendTime(nil, tm.UnixNano()))
		if want := tm.UTC().Format("2006-01-02T15:04:05Z"); got != want {
			t.Errorf("appendTime(%v) = %s, want %s", tm, got, want)
		}
	}
}
