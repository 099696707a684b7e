package auth

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v62/github"

	"github.com/hook-redeliver/hook-redeliver/internal/clock"
	"github.com/hook-redeliver/hook-redeliver/internal/fakegithub"
)

// listClient is an App-JWT client of fake for app 123, with a key of its own.
func listClient(t *testing.T, fake *fakegithub.Server, vc *clock.Virtual) *Installations {
	t.Helper()
	k := newKey(t)
	srv := clock.NewServer(vc)
	app, err := NewApp(testAppID, k, srv)
	if err != nil {
		t.Fatal(err)
	}
	fake.AddApp(123, "", &k.PublicKey)
	c := github.NewClient(&http.Client{Transport: app.RoundTripper(nil)})
	u, err := url.Parse(fake.URL())
	if err != nil {
		t.Fatal(err)
	}
	c.BaseURL = u
	return NewInstallations(c, srv, nil, WithAppID(testAppID))
}

// List reads every page (100 each) of GET /app/installations, with the
// permissions as the account granted them.
func TestListInstallations(t *testing.T) {
	t.Parallel()
	vc := clock.NewVirtual(start)
	fake := fakegithub.New(fakegithub.Options{Clock: vc})
	t.Cleanup(fake.Close)
	ins := listClient(t, fake, vc)

	var want []Installation
	for i := range int64(205) {
		in := fakegithub.Installation{ID: 1000 + i, AppID: 123, Account: "org" + strconv.FormatInt(i, 10),
			Permissions: map[string]string{"organization_hooks": "write", "metadata": "read"}}
		if i == 7 {
			in.AccountType, in.Permissions = "User", map[string]string{"repository_hooks": "write"}
		}
		if i == 9 {
			in.Suspended = true
		}
		fake.AddInstallation(in)
		typ := in.AccountType
		if typ == "" {
			typ = "Organization"
		}
		want = append(want, Installation{ID: in.ID, Account: in.Account, AccountType: typ, Permissions: Permissions(in.Permissions),
			RepositorySelection: "all", Suspended: in.Suspended})
	}
	fake.AddInstallation(fakegithub.Installation{ID: 5, AppID: 999, Account: "not-ours"})

	got, err := ins.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("installations (-want +got):\n%s", diff)
	}
	pages := 0
	for _, r := range fake.Requests() {
		if r.Path == "/app/installations" {
			pages++
			if r.Query.Get("per_page") != "100" {
				t.Errorf("per_page = %q, want 100", r.Query.Get("per_page"))
			}
		}
	}
	if pages != 3 {
		t.Errorf("%d requests for 205 installations, want 3", pages)
	}
	if !got[0].Organization() || got[7].Organization() {
		t.Errorf("Organization: %t, %t", got[0].Organization(), got[7].Organization())
	}
	if !got[0].Grants("organization_hooks", "read") || !got[0].Grants("organization_hooks", "write") || got[0].Grants("organization_actions_variables", "read") {
		t.Errorf("Grants wrong for %v", got[0].Permissions)
	}
}

// A JWT GitHub refuses is reported as such, naming the App.
func TestListInstallationsJWTRefused(t *testing.T) {
	t.Parallel()
	vc := clock.NewVirtual(start)
	fake := fakegithub.New(fakegithub.Options{Clock: vc})
	t.Cleanup(fake.Close)
	ins := listClient(t, fake, vc)
	fake.AddApp(123, "", &newKey(t).PublicKey) // GitHub now knows another key
	_, err := ins.List(t.Context())
	var rej *JWTRejectedError
	if !errors.As(err, &rej) || rej.AppID != testAppID {
		t.Fatalf("err = %v, want a *JWTRejectedError naming app-id %s", err, testAppID)
	}
	noSecrets(t, err.Error())
}

func TestInstallationNeed(t *testing.T) {
	t.Parallel()
	in := Installation{ID: 42, Account: "widgets", Permissions: Permissions{"organization_hooks": "read"}}
	if err := in.Need("organization_hooks", "read"); err != nil {
		t.Errorf("read of read: %v", err)
	}
	err := in.Need("organization_hooks", "write")
	var ng *NotGrantedError
	if !errors.As(err, &ng) || err.Error() != "installation 42 on widgets was not granted the organization permission Webhooks: read and write (organization_hooks: write): grant it in the App's settings (Permissions & events) and accept it on the installation" {
		t.Errorf("err = %v", err)
	}
}
