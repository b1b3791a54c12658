package experiments

import (
	"strings"
	"testing"
)

// TestRegistry checks what every experiment promises: a one-line description, a
// wall time, parameters that resolve at the default and the smoke size (smoke keys
// declared, types right), and a training configuration that validates.
func TestRegistry(t *testing.T) {
	if len(All()) == 0 {
		t.Fatal("no experiments registered")
	}
	for _, e := range All() {
		t.Run(e.Name, func(t *testing.T) {
			if e.Description == "" || strings.Contains(e.Description, "\n") || e.Wall == "" || (e.Build == nil) == (e.Study == nil) {
				t.Errorf("description %q, wall %q, build set %v, study set %v (want exactly one)", e.Description, e.Wall, e.Build != nil, e.Study != nil)
			}
			for _, sets := range [][]string{nil, {"smoke=true"}} {
				p, err := e.Resolve(sets)
				if err != nil {
					t.Fatalf("resolve %v: %v", sets, err)
				}
				if err := TrainConfig(p).Validate(); err != nil {
					t.Errorf("resolve %v: %v", sets, err)
				}
			}
			for k := range e.Smoke {
				if _, ok := e.NewParams().Decl(k); !ok {
					t.Errorf("smoke key %q is not a declared parameter", k)
				}
			}
			// Each key is declared once: a family and the experiment (or two families)
			// declaring the same key would make -list's origin a guess.
			declared := map[string]string{}
			for _, f := range append([]Family{{"common", CommonParams()}}, append(e.Families, Family{"experiment", e.Params})...) {
				for _, p := range f.Params {
					if other, dup := declared[p.Key]; dup {
						t.Errorf("parameter %q declared by %s and %s", p.Key, other, f.Name)
					}
					declared[p.Key] = f.Name
				}
			}
		})
	}
	if _, err := Get(Default()); err != nil {
		t.Errorf("default experiment %q: %v", Default(), err)
	}
}

func TestParamsErrors(t *testing.T) {
	e, _ := Get("mlp-spirals")
	for _, tc := range []struct{ set, want string }{
		{"nope=1", "unknown parameter; valid keys: smoke, steps"},
		{"steps=1.5", "want an integer"},
		{"lr=fast", "want a number"},
		{"smoke=maybe", "want true or false"},
		{"steps", "want key=value"},
	} {
		if _, err := e.Resolve([]string{tc.set}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("-set %s: error %v, want %q", tc.set, err, tc.want)
		}
	}
	p, err := e.Resolve([]string{"smoke=true;steps=7"})
	if err != nil || p.Int("steps") != 7 || p.Int("test_size") != 600 {
		t.Errorf("smoke with an explicit steps: steps %d test_size %d (%v); the user's value must win over smoke", p.Int("steps"), p.Int("test_size"), err)
	}
}

// TestOrigins: every value says where it came from, and a user's -set wins over the
// experiment's and the smoke size's.
func TestOrigins(t *testing.T) {
	e, _ := Get("mlp-spirals")
	p, err := e.Resolve([]string{"smoke=true;lr=0.5"})
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{"smoke": FromSet, "lr": FromSet, "steps": FromSmoke, "warmup": FromExperiment,
		"hidden": FromExperiment, "min_lr": FromTrain, "batch_size": FromCommon} {
		if got := p.Origin(key); got != want {
			t.Errorf("%s from %q, want %q", key, got, want)
		}
	}
	v, _ := Get("vit-fmnist")
	if p, _ := v.Resolve(nil); p.Origin("patch") != FromFamily+"vit" || p.Origin("data_dir") != FromExperiment {
		t.Errorf("vit-fmnist: patch from %q, data_dir from %q", p.Origin("patch"), p.Origin("data_dir"))
	}
}
