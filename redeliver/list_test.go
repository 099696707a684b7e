package redeliver

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v62/github"
)

// listServer serves h at path under /api/v3/, as Enterprise Server does,
// so that a request built without the base URL fails, and fails the test on
// any other request.
func listServer(t *testing.T, path string, h http.HandlerFunc) *github.Client {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v3/"+path, h)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL)
		http.NotFound(w, r)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, err := github.NewClient(srv.Client()).WithEnterpriseURLs(srv.URL, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestListPage(t *testing.T) {
	t.Parallel()
	raw := readTestPage(t)
	// What the page holds, decoded by the struct tags of Delivery.
	var want []Delivery
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	date := time.Date(2026, 11, 20, 6, 0, 1, 0, time.UTC)
	for _, tt := range []struct {
		target Target
		path   string
	}{
		{Target{}, "app/hook/deliveries"},
		{Target{Org: "acme", HookID: 7}, "orgs/acme/hooks/7/deliveries"},
		{Target{Owner: "acme", Repo: "web", HookID: 8}, "repos/acme/web/hooks/8/deliveries"},
	} {
		t.Run(tt.target.Kind().String(), func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var queries []string
			c := listServer(t, tt.path, func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				queries = append(queries, r.URL.RawQuery)
				mu.Unlock()
				w.Header().Set("Date", date.Format(http.TimeFormat))
				if r.URL.Query().Get("cursor") == "" {
					next := "https://ghes.example/api/v3/" + tt.path + "?per_page=100&cursor=v1_3804004623172239266"
					w.Header().Set("Link", "<"+next+`>; rel="next"`)
				}
				_, _ = w.Write(raw)
			})

			page, next, got, err := listPage(t.Context(), c, tt.target, "")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, page); diff != "" {
				t.Errorf("first page (-want +got):\n%s", diff)
			}
			if next != "v1_3804004623172239266" || !got.Equal(date) {
				t.Errorf("next cursor %q, date %v; want v1_3804004623172239266, %v", next, got, date)
			}

			_, next, _, err = listPage(t.Context(), c, tt.target, next)
			if err != nil || next != "" {
				t.Errorf("last page: next cursor %q, error %v; want none", next, err)
			}
			mu.Lock()
			defer mu.Unlock()
			if diff := cmp.Diff([]string{"per_page=100", "cursor=v1_3804004623172239266&per_page=100"}, queries); diff != "" {
				t.Errorf("queries (-want +got):\n%s", diff)
			}
		})
	}
}

// TestListPageIDs: ids beyond 2^53 arrive exactly, and the page has the
// variety a pass meets.
func TestListPageIDs(t *testing.T) {
	t.Parallel()
	raw := readTestPage(t)
	c := listServer(t, "app/hook/deliveries", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(raw) })
	page, _, _, err := listPage(t.Context(), c, Target{}, "")
	if err != nil {
		t.Fatal(err)
	}
	ids := regexp.MustCompile(`"id":(\d+)`).FindAllSubmatch(raw, -1)
	if len(ids) != len(page) || len(page) != PageSize {
		t.Fatalf("found %d ids in the page, listed %d deliveries, want %d", len(ids), len(page), PageSize)
	}
	var nulls, redeliveries, failed int
	for i, d := range page {
		if got := strconv.FormatInt(d.ID, 10); got != string(ids[i][1]) || d.ID <= 1<<53 {
			t.Errorf("delivery %d: id %s, want %s (beyond 2^53)", i, got, ids[i][1])
		}
		if d.Action == "" {
			nulls++
		}
		if d.Redelivery {
			redeliveries++
		}
		if !d.OK() {
			failed++
		}
	}
	if nulls == 0 || redeliveries == 0 || failed == 0 {
		t.Errorf("the page lacks variety: %d null actions, %d redeliveries, %d failed", nulls, redeliveries, failed)
	}
}

func TestListPageError(t *testing.T) {
	t.Parallel()
	c := listServer(t, "orgs/acme/hooks/7/deliveries", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`))
	})
	_, _, _, err := listPage(t.Context(), c, Target{Org: "acme", HookID: 7}, "")
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil || er.Response.StatusCode != http.StatusNotFound {
		t.Errorf("error %v, want a 404 *github.ErrorResponse", err)
	}
}

func TestFromHookDeliveriesNulls(t *testing.T) {
	t.Parallel()
	var hds []*github.HookDelivery
	if err := json.Unmarshal([]byte(`[null,{"id":1,"action":null,"status_code":null}]`), &hds); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Delivery{{}, {ID: 1}}, fromHookDeliveries(hds)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
