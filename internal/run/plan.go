package run

import (
	"fmt"

	"github.com/hook-redeliver/hook-redeliver/internal/matrix"
	"github.com/hook-redeliver/hook-redeliver/internal/report"
	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

// plan turns the units into the matrix of a second job: a leg per
// installation with its webhooks and where their checkpoints live. What it
// could not plan (no installation, a permission not granted, a webhook list
// refused) it reports as a warning and leaves out; the other legs go on, and
// the plan does not fail for it, so that the matrix job runs.
func (f *fleet) plan(rep *report.Run, units []*unit) error {
	var (
		groups   []matrix.Group
		problems []string
	)
	byLeg := map[string]*unit{}
	for _, u := range units {
		for _, p := range u.problems {
			msg := fmt.Sprintf("%s: %v", report.HookName(p.Target), p.Err)
			problems = append(problems, msg)
			f.log.Warningf("left out of the plan: %s", msg)
		}
		g := matrix.Group{Account: u.account, Installation: u.installationID}
		for _, t := range u.targets {
			mt := matrix.Target{Hook: t.target.HookID, Var: t.name, State: t.place.String()}
			if t.target.Kind() == redeliver.RepoHook {
				mt.Repo = t.target.Owner + "/" + t.target.Repo
			} else {
				mt.Org = t.target.Org
			}
			g.Targets = append(g.Targets, mt)
		}
		groups = append(groups, g)
		byLeg[fmt.Sprintf("%s/%d", u.account, u.installationID)] = u
	}
	m, err := matrix.Build(groups)
	if err != nil {
		return err
	}
	b, err := m.JSON()
	if err != nil {
		return err
	}
	p := &report.Plan{Matrix: string(b), Problems: problems}
	for _, e := range m.Include {
		leg, err := matrix.ParseLeg(e.Leg)
		if err != nil {
			return fmt.Errorf("the plan's leg %s does not read back: %w", e.Name, err)
		}
		row := report.PlanLeg{Name: e.Name}
		for _, g := range leg.Groups {
			row.Webhooks += len(g.Targets)
			row.Installations = append(row.Installations, byLeg[fmt.Sprintf("%s/%d", g.Account, g.Installation)].describe())
		}
		p.Legs = append(p.Legs, row)
	}
	rep.Plan = p
	f.log.Infof("planned %d webhooks in %d legs", p.Webhooks(), len(p.Legs))
	return nil
}
