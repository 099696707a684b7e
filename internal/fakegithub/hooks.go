package fakegithub

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// firstDeliveryID is where delivery ids start: above 2^53, as GitHub's have
// been since early 2026, so that a client that parses ids as float64 sends
// back a wrong id and its test fails.
const firstDeliveryID int64 = 3804004623172239366

// HookRef names a webhook. The zero value is the GitHub App's webhook.
type HookRef struct {
	Org         string // organization webhook
	Owner, Repo string // repository webhook
	ID          int64  // hook id (0 for the App webhook)
}

// AppHook names the GitHub App's webhook.
func AppHook() HookRef { return HookRef{} }

// OrgHook names an organization webhook.
func OrgHook(org string, id int64) HookRef { return HookRef{Org: org, ID: id} }

// RepoHook names a repository webhook.
func RepoHook(owner, repo string, id int64) HookRef {
	return HookRef{Owner: owner, Repo: repo, ID: id}
}

// String returns the hook's API path, e.g. "orgs/acme/hooks/7" or "app/hook".
func (h HookRef) String() string {
	switch {
	case h.Org != "":
		return "orgs/" + h.Org + "/hooks/" + strconv.FormatInt(h.ID, 10)
	case h.Owner != "" || h.Repo != "":
		return "repos/" + h.Owner + "/" + h.Repo + "/hooks/" + strconv.FormatInt(h.ID, 10)
	default:
		return "app/hook"
	}
}

func (h HookRef) isApp() bool { return h.Org == "" && h.Owner == "" && h.Repo == "" }

// hookKey is a HookRef with logins folded to lower case, as GitHub matches
// them.
type hookKey struct {
	org, owner, repo string
	id               int64
}

func keyOf(h HookRef) hookKey {
	if h.isApp() {
		return hookKey{}
	}
	return hookKey{org: strings.ToLower(h.Org), owner: strings.ToLower(h.Owner), repo: strings.ToLower(h.Repo), id: h.ID}
}

// Delivery is one delivery attempt of a webhook event.
type Delivery struct {
	ID             int64     // assigned by AddDelivery when 0; ids start above 2^53 and increase
	GUID           string    // same for every attempt of one event
	DeliveredAt    time.Time // GitHub time, whole seconds in JSON
	Redelivery     bool
	Duration       float64
	Status         string // "OK" on success, else e.g. "Invalid HTTP Response: 503", "Couldn't connect to server", "timed out"
	StatusCode     int    // 0 when there was no HTTP response
	Event          string
	Action         string // "" is served as JSON null
	InstallationID int64  // 0 is served as JSON null
	RepositoryID   int64  // 0 is served as JSON null
}

// rec is a Delivery as stored: half the size, with the few distinct strings
// interned, because load tests keep a million of them per hook.
type rec struct {
	id         int64
	at         int64 // DeliveredAt, Unix nanoseconds
	inst, repo int64
	guid       string
	dur        float64
	code       int32
	status     uint32 // interned
	event      uint32 // interned
	action     uint32 // interned
	redelivery bool
}

// interner maps the few distinct status, event and action strings to small
// numbers; 0 is "".
type interner struct {
	idx  map[string]uint32
	strs []string
}

func (in *interner) init() {
	in.idx = map[string]uint32{"": 0}
	in.strs = []string{""}
}

func (in *interner) id(s string) uint32 {
	if i, ok := in.idx[s]; ok {
		return i
	}
	i := uint32(len(in.strs))
	in.strs = append(in.strs, s)
	in.idx[s] = i
	return i
}

func (s *Server) toRec(d Delivery) rec {
	return rec{
		id:         d.ID,
		at:         d.DeliveredAt.UnixNano(),
		inst:       d.InstallationID,
		repo:       d.RepositoryID,
		guid:       d.GUID,
		dur:        d.Duration,
		code:       int32(d.StatusCode),
		status:     s.strs.id(d.Status),
		event:      s.strs.id(d.Event),
		action:     s.strs.id(d.Action),
		redelivery: d.Redelivery,
	}
}

func (s *Server) toDelivery(r *rec) Delivery {
	return Delivery{
		ID:             r.id,
		GUID:           r.guid,
		DeliveredAt:    time.Unix(0, r.at).UTC(),
		Redelivery:     r.redelivery,
		Duration:       r.dur,
		Status:         s.strs.strs[r.status],
		StatusCode:     int(r.code),
		Event:          s.strs.strs[r.event],
		Action:         s.strs.strs[r.action],
		InstallationID: r.inst,
		RepositoryID:   r.repo,
	}
}

// hook is a registered webhook and its deliveries.
type hook struct {
	ref     HookRef
	active  bool
	created time.Time
	recs    []rec // ascending id, so a cursor is a binary search away
	// guids counts the attempts of each GUID. It is built on the first
	// redelivery only, so seeding a million deliveries does not pay for it.
	guids map[string]int32
}

// find returns the index of delivery id in h.recs.
func (h *hook) find(id int64) (int, bool) {
	return slices.BinarySearchFunc(h.recs, id, func(r rec, id int64) int { return cmp.Compare(r.id, id) })
}

// insert adds r keeping h.recs sorted; a delivery with the same id is
// replaced.
func (h *hook) insert(r rec) {
	if n := len(h.recs); n == 0 || h.recs[n-1].id < r.id {
		h.recs = append(h.recs, r)
		if h.guids != nil {
			h.guids[r.guid]++
		}
		return
	}
	i, found := h.find(r.id)
	if found {
		h.recs[i] = r
		h.guids = nil // rebuilt when next needed
		return
	}
	h.recs = slices.Insert(h.recs, i, r)
	if h.guids != nil {
		h.guids[r.guid]++
	}
}

func (h *hook) attempts(guid string) int {
	if h.guids == nil {
		h.guids = make(map[string]int32, len(h.recs))
		for i := range h.recs {
			h.guids[h.recs[i].guid]++
		}
	}
	return int(h.guids[guid])
}

// AddHook registers a hook (listed by GET .../hooks). AddDelivery registers
// hooks implicitly too.
func (s *Server) AddHook(h HookRef) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hookLocked(h)
}

// SetHookActive marks a hook active (the default) or inactive, as shown by
// the hooks list.
func (s *Server) SetHookActive(h HookRef, active bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hookLocked(h).active = active
}

func (s *Server) hookLocked(h HookRef) *hook {
	k := keyOf(h)
	hk := s.hooks[k]
	if hk == nil {
		if h.isApp() {
			h = AppHook()
		}
		hk = &hook{ref: h, active: true, created: s.nowLocked()}
		s.hooks[k] = hk
		if h.Owner != "" {
			s.noteRepoLocked(h.Owner + "/" + h.Repo)
		}
	}
	return hk
}

// AddDelivery adds a delivery to hook h and returns it as stored. Zero
// fields get defaults: ID the next id (ids only grow), GUID a fresh one,
// DeliveredAt GitHub's now, Event "push", Status "OK"/200 when both are
// unset, or derived from the other when one is. A delivery with an id the
// hook already has replaces it.
func (s *Server) AddDelivery(h HookRef, d Delivery) Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d.ID == 0 {
		d.ID = s.nextID
	}
	s.nextID = max(s.nextID, d.ID+1)
	if d.GUID == "" {
		var b [36]byte
		d.GUID = string(appendGUID(b[:0], s.rng.Uint64(), s.rng.Uint64()))
	}
	if d.DeliveredAt.IsZero() {
		d.DeliveredAt = s.nowLocked()
	}
	if d.Event == "" {
		d.Event = "push"
	}
	switch {
	case d.Status == "" && d.StatusCode == 0:
		d.Status, d.StatusCode = "OK", http.StatusOK
	case d.Status == "" && d.StatusCode >= 200 && d.StatusCode < 300:
		d.Status = "OK"
	case d.Status == "":
		d.Status = "Invalid HTTP Response: " + strconv.Itoa(d.StatusCode)
	}
	s.hookLocked(h).insert(s.toRec(d))
	return d
}

// Deliveries returns all deliveries of h, newest first, including those not
// yet visible in lists.
func (s *Server) Deliveries(h HookRef) []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	hk := s.hooks[keyOf(h)]
	if hk == nil {
		return nil
	}
	out := make([]Delivery, len(hk.recs))
	for i := range hk.recs {
		out[len(out)-1-i] = s.toDelivery(&hk.recs[i])
	}
	return out
}

// listDeliveries serves one page of hk's deliveries, newest first.
func (c *call) listDeliveries(hk *hook) reply {
	q := c.r.URL.Query()
	perPage := perPageOf(q)
	end := len(hk.recs) // the page starts just below end
	if cur := q.Get("cursor"); cur != "" {
		i, ok := -1, false
		if v, found := strings.CutPrefix(cur, "v1_"); found {
			if id, err := strconv.ParseInt(v, 10, 64); err == nil {
				i, ok = hk.find(id)
			}
		}
		if !ok {
			return errorReply(http.StatusUnprocessableEntity, "Invalid cursor", docsURL)
		}
		end = i
	}
	var wantOK, wantFailed bool
	switch st := q.Get("status"); st {
	case "":
	case "success":
		wantOK = true
	case "failure":
		wantFailed = true
	default:
		return validationReply("HookDelivery", "status", "invalid", docsURL)
	}
	// Listed once DeliveredAt + VisibilityLag <= now.
	latest := c.now.Add(-c.s.faults.VisibilityLag).UnixNano()
	listed := func(r *rec) bool {
		if r.at > latest {
			return false
		}
		ok := r.code >= 200 && r.code < 300
		return (!wantOK || ok) && (!wantFailed || !ok)
	}

	bp := bufPool.Get().(*[]byte)
	b := append((*bp)[:0], '[')
	n, i := 0, end-1
	var lastID int64
	var dc dayCache
	for ; i >= 0 && n < perPage; i-- {
		r := &hk.recs[i]
		if !listed(r) {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		b = c.s.appendDelivery(b, r, &dc)
		n++
		lastID = r.id
	}
	b = append(b, ']')
	rep := reply{status: http.StatusOK, body: b, pooled: bp}

	more := false
	for ; i >= 0 && n == perPage; i-- {
		if listed(&hk.recs[i]) {
			more = true
			break
		}
	}
	if more {
		next := make([]byte, 0, 160)
		next = append(next, '<')
		next = append(next, c.s.ts.URL...)
		next = append(next, c.s.prefix...)
		next = append(next, c.path...)
		next = append(next, "?per_page="...)
		next = strconv.AppendInt(next, int64(perPage), 10)
		next = append(next, "&cursor=v1_"...)
		next = strconv.AppendInt(next, lastID, 10)
		if st := q.Get("status"); st != "" {
			next = append(next, "&status="...)
			next = append(next, st...)
		}
		next = append(next, `>; rel="next"`...)
		rep.setHeader("Link", string(next))
	}
	return rep
}

// perPageOf reads per_page: default 30, larger values capped at 100 as
// GitHub does.
func perPageOf(q map[string][]string) int {
	v := ""
	if vs := q["per_page"]; len(vs) > 0 {
		v = vs[0]
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 30
	}
	return min(n, 100)
}

// redeliver performs a redelivery of delivery id of hk.
func (c *call) redeliver(hk *hook, id int64) reply {
	s := c.s
	i, found := hk.find(id)
	if !found {
		return notFound()
	}
	orig := s.toDelivery(&hk.recs[i])
	attempt := hk.attempts(orig.GUID) + 1
	status, code := "OK", http.StatusOK
	if s.receiver != nil {
		status, code = s.receiver(orig, attempt)
	}
	dur := 0.05 + float64(s.rng.IntN(45))/100
	if status == "timed out" {
		dur = 10
	}
	nd := Delivery{
		ID:             s.nextID,
		GUID:           orig.GUID,
		DeliveredAt:    c.now,
		Redelivery:     true,
		Duration:       dur,
		Status:         status,
		StatusCode:     code,
		Event:          orig.Event,
		Action:         orig.Action,
		InstallationID: orig.InstallationID,
		RepositoryID:   orig.RepositoryID,
	}
	s.nextID++
	hk.insert(s.toRec(nd))

	rep := reply{status: http.StatusAccepted, body: []byte("{}")}
	if f := s.faults.LostResponseRate; f > 0 && s.rng.Float64() < f {
		// The redelivery happened, but the client cannot know.
		rep = reply{status: http.StatusBadGateway, body: []byte(`{"message":"Server Error"}`)}
	}
	s.redeliveries = append(s.redeliveries, Redelivery{
		Hook: hk.ref, RequestedID: id, GUID: orig.GUID, NewID: nd.ID, At: c.now, Status: status, Answered: rep.status,
	})
	return rep
}

// hookFor finds a registered hook or answers 404.
func (c *call) hookFor(h HookRef) (*hook, *reply) {
	hk := c.s.hooks[keyOf(h)]
	if hk == nil {
		rep := notFound()
		return nil, &rep
	}
	return hk, nil
}

// int64Param parses path parameter i; GitHub answers 404 to a non-number.
func (c *call) int64Param(i int) (int64, *reply) {
	v, err := strconv.ParseInt(c.params[i], 10, 64)
	if err != nil {
		rep := notFound()
		return 0, &rep
	}
	return v, nil
}

// Permission requirements of the hook endpoints.
func orgHookNeed(org, level string) need {
	return need{owner: org, perm: "organization_hooks", level: level, scopes: []string{"admin:org_hook"}}
}

func repoHookNeed(owner, repo, level string) need {
	scopes := []string{"repo", "admin:repo_hook", "write:repo_hook", "read:repo_hook"}
	if level != "read" {
		scopes = scopes[:3]
	}
	return need{owner: owner, repo: repo, perm: "repository_hooks", level: level, scopes: scopes}
}

func (c *call) listAppDeliveries() reply {
	hk, rep := c.hookFor(AppHook())
	if rep != nil {
		return *rep
	}
	return c.listDeliveries(hk)
}

func (c *call) redeliverApp() reply {
	id, rep := c.int64Param(0)
	if rep != nil {
		return *rep
	}
	hk, rep := c.hookFor(AppHook())
	if rep != nil {
		return *rep
	}
	return c.redeliver(hk, id)
}

// orgHook authorizes and resolves /orgs/{org}/hooks/{id}.
func (c *call) orgHook(level string) (*hook, *reply) {
	org := c.params[0]
	if rep := c.authorize(orgHookNeed(org, level)); rep != nil {
		return nil, rep
	}
	id, rep := c.int64Param(1)
	if rep != nil {
		return nil, rep
	}
	return c.hookFor(OrgHook(org, id))
}

// repoHook authorizes and resolves /repos/{owner}/{repo}/hooks/{id}.
func (c *call) repoHook(level string) (*hook, *reply) {
	owner, repo := c.params[0], c.params[1]
	if rep := c.authorize(repoHookNeed(owner, repo, level)); rep != nil {
		return nil, rep
	}
	id, rep := c.int64Param(2)
	if rep != nil {
		return nil, rep
	}
	return c.hookFor(RepoHook(owner, repo, id))
}

func (c *call) listOrgDeliveries() reply {
	hk, rep := c.orgHook("read")
	if rep != nil {
		return *rep
	}
	return c.listDeliveries(hk)
}

func (c *call) redeliverOrg() reply {
	hk, rep := c.orgHook("write")
	if rep != nil {
		return *rep
	}
	id, rep := c.int64Param(2)
	if rep != nil {
		return *rep
	}
	return c.redeliver(hk, id)
}

func (c *call) listRepoDeliveries() reply {
	hk, rep := c.repoHook("read")
	if rep != nil {
		return *rep
	}
	return c.listDeliveries(hk)
}

func (c *call) redeliverRepo() reply {
	hk, rep := c.repoHook("write")
	if rep != nil {
		return *rep
	}
	id, rep := c.int64Param(3)
	if rep != nil {
		return *rep
	}
	return c.redeliver(hk, id)
}

func (c *call) listOrgHooks() reply {
	org := c.params[0]
	if rep := c.authorize(orgHookNeed(org, "read")); rep != nil {
		return *rep
	}
	return c.listHooks(func(k hookKey) bool { return k.org == strings.ToLower(org) })
}

func (c *call) listRepoHooks() reply {
	owner, repo := c.params[0], c.params[1]
	if rep := c.authorize(repoHookNeed(owner, repo, "read")); rep != nil {
		return *rep
	}
	lo, lr := strings.ToLower(owner), strings.ToLower(repo)
	return c.listHooks(func(k hookKey) bool { return k.org == "" && k.owner == lo && k.repo == lr })
}

// hookJSON is GitHub's webhook object.
type hookJSON struct {
	Type          string            `json:"type"`
	ID            int64             `json:"id"`
	Name          string            `json:"name"`
	Active        bool              `json:"active"`
	Events        []string          `json:"events"`
	Config        map[string]string `json:"config"`
	UpdatedAt     string            `json:"updated_at"`
	CreatedAt     string            `json:"created_at"`
	URL           string            `json:"url"`
	TestURL       string            `json:"test_url,omitempty"`
	PingURL       string            `json:"ping_url"`
	DeliveriesURL string            `json:"deliveries_url"`
	LastResponse  map[string]any    `json:"last_response,omitempty"`
}

// listHooks serves the hooks selected by keep with page-number pagination.
func (c *call) listHooks(keep func(hookKey) bool) reply {
	var hs []*hook
	for k, hk := range c.s.hooks {
		if k != (hookKey{}) && keep(k) {
			hs = append(hs, hk)
		}
	}
	slices.SortFunc(hs, func(a, b *hook) int { return cmp.Compare(a.ref.ID, b.ref.ID) })

	lo, hi, link := c.pageOf(len(hs))

	out := make([]hookJSON, 0, hi-lo)
	base := c.s.ts.URL + c.s.prefix
	for _, hk := range hs[lo:hi] {
		self := base + "/" + hk.ref.String()
		j := hookJSON{
			Type:   "Repository",
			ID:     hk.ref.ID,
			Name:   "web",
			Active: hk.active,
			Events: []string{"*"},
			Config: map[string]string{
				"content_type": "json",
				"insecure_ssl": "0",
				"url":          "https://hooks.example.com/" + hk.ref.String(),
			},
			UpdatedAt:     githubTime(hk.created),
			CreatedAt:     githubTime(hk.created),
			URL:           self,
			PingURL:       self + "/pings",
			DeliveriesURL: self + "/deliveries",
		}
		if hk.ref.Org != "" {
			j.Type = "Organization"
		} else {
			j.TestURL = self + "/test"
			j.LastResponse = map[string]any{"code": nil, "status": "unused", "message": nil}
		}
		out = append(out, j)
	}
	rep := jsonReply(http.StatusOK, out)
	if link != "" {
		rep.setHeader("Link", link)
	}
	return rep
}

// githubTime formats t as GitHub does: UTC, whole seconds.
func githubTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }
