package redeliver

import (
	"context"
	"net/http"
	"time"

	"github.com/google/go-github/v62/github"
)

// listPage reads one page of the target's deliveries, newest first, with
// go-github's typed calls. It returns the page, the cursor of the next page
// ("" after the last one) and GitHub's time when it answered, from the Date
// header (zero without one).
func listPage(ctx context.Context, client *github.Client, t Target, cursor string) (page []Delivery, next string, date time.Time, err error) {
	opts := &github.ListCursorOptions{PerPage: PageSize, Cursor: cursor}
	var hds []*github.HookDelivery
	var resp *github.Response
	switch t.Kind() {
	case OrgHook:
		hds, resp, err = client.Organizations.ListHookDeliveries(ctx, t.Org, t.HookID, opts)
	case RepoHook:
		hds, resp, err = client.Repositories.ListHookDeliveries(ctx, t.Owner, t.Repo, t.HookID, opts)
	default:
		hds, resp, err = client.Apps.ListHookDeliveries(ctx, opts)
	}
	if err != nil {
		return nil, "", time.Time{}, err
	}
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		date = d
	}
	return fromHookDeliveries(hds), resp.Cursor, date, nil
}

// fromHookDeliveries keeps what a pass needs of each delivery. A field GitHub
// left out or sent as null (action, for events without one) is the zero
// value.
func fromHookDeliveries(hds []*github.HookDelivery) []Delivery {
	page := make([]Delivery, len(hds))
	for i, hd := range hds {
		page[i] = Delivery{
			ID:          hd.GetID(),
			GUID:        hd.GetGUID(),
			DeliveredAt: hd.GetDeliveredAt().Time,
			Redelivery:  hd.GetRedelivery(),
			Status:      hd.GetStatus(),
			StatusCode:  hd.GetStatusCode(),
			Event:       hd.GetEvent(),
			Action:      hd.GetAction(),
		}
	}
	return page
}
