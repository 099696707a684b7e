package redeliver

import (
	"context"
	"fmt"

	"github.com/google/go-github/v62/github"
)

// ListHooks returns the ids of every webhook of an organization or
// repository target, for hook-id: all.
func ListHooks(ctx context.Context, c *github.Client, t Target) ([]int64, error) {
	if t.Kind() == AppHook {
		return nil, fmt.Errorf("list webhooks: a GitHub App has exactly one webhook")
	}
	opts := &github.ListOptions{PerPage: 100}
	var ids []int64
	for {
		var hooks []*github.Hook
		var resp *github.Response
		var err error
		if t.Kind() == OrgHook {
			hooks, resp, err = c.Organizations.ListHooks(ctx, t.Org, opts)
		} else {
			hooks, resp, err = c.Repositories.ListHooks(ctx, t.Owner, t.Repo, opts)
		}
		if err != nil {
			return nil, fmt.Errorf("list webhooks of %s: %w", t.Holder(), t.explain(err, "read"))
		}
		for _, h := range hooks {
			ids = append(ids, h.GetID())
		}
		if resp.NextPage == 0 {
			return ids, nil
		}
		opts.Page = resp.NextPage
	}
}
