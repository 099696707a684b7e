package auth

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestToken(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name   string
		method string
		body   string
	}{
		{name: "GET", method: http.MethodGet},
		{name: "POST with body", method: http.MethodPost, body: `{"event_type":"x"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			const token = "github_pat_example"
			var gotAuth, gotBody string
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotAuth = r.Header.Get("Authorization")
				b, _ := io.ReadAll(r.Body)
				gotBody = string(b)
				writeJSON(w, http.StatusOK, map[string]string{})
			}))
			t.Cleanup(ts.Close)

			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			req, err := http.NewRequestWithContext(t.Context(), tc.method, ts.URL+"/repos/o/r/hooks", body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
			before := req.Header.Clone()

			resp, err := (&http.Client{Transport: Token(token, ts.Client().Transport)}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()

			if want := "Bearer " + token; gotAuth != want {
				t.Errorf("Authorization = %q, want %q", gotAuth, want)
			}
			if gotBody != tc.body {
				t.Errorf("body = %q, want %q", gotBody, tc.body)
			}
			if diff := cmp.Diff(before, req.Header); diff != "" {
				t.Errorf("caller's header changed (-before +after):\n%s", diff)
			}
		})
	}
}
