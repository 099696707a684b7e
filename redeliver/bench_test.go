package redeliver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"
)

// The benchmarks read a page of GitHub's JSON from testdata. Run them with
// go test ./redeliver -run '^$' -bench . -benchmem; CI runs each once
// (-benchtime=1x) so that they keep compiling and working.

// perDelivery reports the benchmark's time per delivery.
func perDelivery(b *testing.B, deliveriesPerOp int) {
	b.Helper()
	n := float64(b.N * deliveriesPerOp)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/delivery")
}

// decodeTestPage decodes the testdata page as go-github does.
func decodeTestPage(b *testing.B) []Delivery {
	b.Helper()
	var hds []*github.HookDelivery
	if err := json.Unmarshal(readTestPage(b), &hds); err != nil {
		b.Fatal(err)
	}
	return fromHookDeliveries(hds)
}

// BenchmarkScan is the pass's own work per delivery: grouping by GUID,
// over a page decoded beforehand. The same page is fed again and again, so
// the scanner keeps meeting the same GUIDs, as it does with redeliveries.
func BenchmarkScan(b *testing.B) {
	page := decodeTestPage(b)
	b.ReportAllocs()
	sc := newScanner(time.Time{}, newHealth(nil))
	for b.Loop() {
		for i := range page {
			sc.add(&page[i])
		}
	}
	perDelivery(b, len(page))
	if len(sc.failures()) == 0 {
		b.Fatal("no failures found")
	}
}

// BenchmarkListPage is listing one page through go-github: the request,
// HTTP on loopback, decoding and conversion, against a server that answers
// every request with the testdata page. The server runs in the same
// process, so its CPU time counts too; the load test (see the README)
// measures the client alone.
func BenchmarkListPage(b *testing.B) {
	raw := readTestPage(b)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v3/orgs/acme/hooks/1/deliveries", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(raw)))
		_, _ = w.Write(raw)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c, err := github.NewClient(srv.Client()).WithEnterpriseURLs(srv.URL, srv.URL)
	if err != nil {
		b.Fatal(err)
	}
	target := Target{Org: "acme", HookID: 1}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		page, _, _, err := listPage(b.Context(), c, target, "")
		if err != nil || len(page) != PageSize {
			b.Fatalf("listed %d deliveries: %v", len(page), err)
		}
	}
	perDelivery(b, PageSize)
}

// synthPages calls fn with n deliveries in pages, newest first, as listing
// returns them: failed GUIDs whose only attempt failed, spread evenly; one
// event in a hundred that failed and was redelivered successfully 50
// deliveries later; the rest delivered the first time. Each GUID is a
// string of its own, as decoding makes it; the page is reused.
func synthPages(n, failed int, fn func(page []Delivery)) {
	start := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	failStep := n / failed
	buf := make([]byte, 0, 36)
	hex := func(b []byte, v, width int) []byte {
		for shift := 4 * (width - 1); shift >= 0; shift -= 4 {
			b = append(b, "0123456789abcdef"[v>>shift&0xf])
		}
		return b
	}
	guid := func(i int) string {
		buf = hex(buf[:0], i/7, 8)
		buf = append(buf, "-0000-4000-8000-"...)
		return string(hex(buf, i, 12))
	}
	page := make([]Delivery, 0, PageSize)
	for first := 0; first < n; first += PageSize {
		page = page[:0]
		for i := first; i < min(first+PageSize, n); i++ {
			g, redelivery, status, code := i, false, "OK", 200
			switch {
			case i%failStep == 0:
				status, code = "Invalid HTTP Response: 503", 503
			case i%100 == 1: // the successful redelivery of guid i+50
				g, redelivery = i+50, true
			case i%100 == 51: // the failed original of the one above
				status, code = "timed out", 0
			}
			page = append(page, Delivery{
				ID:          3804004623172239366 + int64(n-i),
				GUID:        guid(g),
				DeliveredAt: start.Add(-time.Duration(i) * time.Second),
				Redelivery:  redelivery,
				Status:      status,
				StatusCode:  code,
				Event:       "push",
			})
		}
		fn(page)
	}
}

// scanPeak scans n synthetic deliveries and returns the scanner and the
// largest live heap seen (after a GC every 100 pages) above what was live
// before.
func scanPeak(t *testing.T, n, failed int) (sc *scanner, peak uint64) {
	t.Helper()
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	sc = newScanner(time.Time{}, newHealth(nil))
	pages := 0
	synthPages(n, failed, func(page []Delivery) {
		for i := range page {
			sc.add(&page[i])
		}
		if pages++; pages%100 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc-min(base, ms.HeapAlloc))
		}
	})
	return sc, peak
}

// raceEnabled is set under -race (race_test.go), which makes the large scan
// of TestScanMemoryFlat take ten times longer.
var raceEnabled = false

// TestScanMemoryFlat: the memory of a scan follows the failed GUIDs, not the
// deliveries read. Ten times as many deliveries, with the same failures, may
// not take more than 10% more heap.
func TestScanMemoryFlat(t *testing.T) {
	// Not parallel: it measures the heap.
	small, large, failed := 100_000, 1_000_000, 5_000
	if testing.Short() || raceEnabled {
		small, large, failed = 10_000, 100_000, 500
	}
	scS, peakS := scanPeak(t, small, failed)
	scL, peakL := scanPeak(t, large, failed)
	if got := len(scS.failures()); got != failed {
		t.Errorf("%d deliveries: %d failures, want %d", small, got, failed)
	}
	if got := len(scL.failures()); got != failed {
		t.Errorf("%d deliveries: %d failures, want %d", large, got, failed)
	}
	if scS.scanned != small || scL.scanned != large {
		t.Errorf("scanned %d and %d, want %d and %d", scS.scanned, scL.scanned, small, large)
	}
	t.Logf("peak live heap of the scan: %d deliveries %.2f MB, %d deliveries %.2f MB (%d failed GUIDs)",
		small, float64(peakS)/1e6, large, float64(peakL)/1e6, failed)
	if float64(peakL) > 1.1*float64(peakS)+64<<10 {
		t.Errorf("scanning %d deliveries peaked at %d bytes of heap, more than 10%% above the %d of %d deliveries: memory grows with the deliveries scanned",
			large, peakL, peakS, small)
	}
}
