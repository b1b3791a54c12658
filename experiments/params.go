package experiments

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Param declares one hyperparameter: its key, its default (whose Go type, int,
// float64, bool or string, is the type -set values must parse to) and a doc line.
type Param struct {
	Key     string
	Default any
	Doc     string
}

// Params holds the resolved hyperparameters of a run, typed as declared, with where
// each value came from.
type Params struct {
	decl   map[string]Param
	order  []string
	values map[string]any
	set    map[string]bool   // keys the user set explicitly.
	origin map[string]string // From* of each value.
}

// declared is a parameter with where it is declared (FromTrain, FromCommon, FromFamily
// + name, FromExperiment).
type declared struct {
	Param
	origin string
}

// newParams declares decls in order; a key declared again keeps its first place and
// takes the later declaration.
func newParams(decls []declared) *Params {
	p := &Params{decl: map[string]Param{}, values: map[string]any{}, set: map[string]bool{}, origin: map[string]string{}}
	for _, d := range decls {
		if _, dup := p.decl[d.Key]; !dup {
			p.order = append(p.order, d.Key)
		}
		p.decl[d.Key] = d.Param
		p.values[d.Key] = d.Default
		p.origin[d.Key] = d.origin
	}
	return p
}

// Origin says where the value of key came from: one of the From* constants (FromFamily
// followed by the family's name).
func (p *Params) Origin(key string) string { return p.origin[key] }

// Keys returns the declared keys in declaration order.
func (p *Params) Keys() []string { return slices.Clone(p.order) }

// Decl returns the declaration of key.
func (p *Params) Decl(key string) (Param, bool) {
	d, ok := p.decl[key]
	return d, ok
}

// Map returns a copy of all values, for records (config.json, checkpoints).
func (p *Params) Map() map[string]any { return maps.Clone(p.values) }

// IsSet reports whether the user set key explicitly (with -set or a saved config).
func (p *Params) IsSet(key string) bool { return p.set[key] }

// Int returns an int parameter; it panics on an undeclared key or wrong type,
// which is a programming error in the experiment, not a user error.
func (p *Params) Int(key string) int { return get[int](p, key) }

// Float returns a float64 parameter.
func (p *Params) Float(key string) float64 { return get[float64](p, key) }

// Bool returns a bool parameter.
func (p *Params) Bool(key string) bool { return get[bool](p, key) }

// String returns a string parameter.
func (p *Params) String(key string) string { return get[string](p, key) }

func get[T any](p *Params, key string) T {
	v, ok := p.values[key]
	if !ok {
		panic(fmt.Sprintf("experiments: parameter %q is not declared", key))
	}
	t, ok := v.(T)
	if !ok {
		panic(fmt.Sprintf("experiments: parameter %q is %T, not %T", key, v, t))
	}
	return t
}

// Set parses value with the declared type of key. An unknown key lists the valid
// ones; a value of the wrong type says which type was expected.
func (p *Params) Set(key, value string) error {
	d, ok := p.decl[key]
	if !ok {
		return fmt.Errorf("-set %s: unknown parameter; valid keys: %s", key, strings.Join(p.order, ", "))
	}
	var v any
	var err error
	switch d.Default.(type) {
	case int:
		var n int64
		n, err = strconv.ParseInt(value, 10, 64)
		v = int(n)
	case float64:
		v, err = strconv.ParseFloat(value, 64)
	case bool:
		v, err = strconv.ParseBool(value)
	case string:
		v = value
	default:
		return fmt.Errorf("-set %s: parameter of unsupported type %T", key, d.Default)
	}
	if err != nil {
		return fmt.Errorf("-set %s=%s: want %s", key, value, typeName(d.Default))
	}
	p.values[key] = v
	p.set[key] = true
	p.origin[key] = FromSet
	return nil
}

// setDefault changes a value the user has not set explicitly (experiment
// defaults, smoke sizes), recording origin.
func (p *Params) setDefault(key string, v any, origin string) error {
	d, ok := p.decl[key]
	if !ok {
		return fmt.Errorf("experiments: default for undeclared parameter %q", key)
	}
	if fmt.Sprintf("%T", v) != fmt.Sprintf("%T", d.Default) {
		return fmt.Errorf("experiments: default %s=%v is %T, declared %T", key, v, v, d.Default)
	}
	if !p.set[key] {
		p.values[key] = v
		p.origin[key] = origin
	}
	return nil
}

// ParseSets applies -set arguments: each "k=v;k2=v2" (several -set flags add up).
func (p *Params) ParseSets(sets []string) error {
	for _, s := range sets {
		for _, kv := range strings.Split(s, ";") {
			kv = strings.TrimSpace(kv)
			if kv == "" {
				continue
			}
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return fmt.Errorf("-set %q: want key=value", kv)
			}
			if err := p.Set(strings.TrimSpace(k), strings.TrimSpace(v)); err != nil {
				return err
			}
		}
	}
	return nil
}

// setAny applies a value read back from config.json, where JSON turned ints into
// float64: it converts to the declared type.
func (p *Params) setAny(key string, v any) error {
	d, ok := p.decl[key]
	if !ok {
		return fmt.Errorf("parameter %q is not declared by this experiment", key)
	}
	switch d.Default.(type) {
	case int:
		f, ok := v.(float64)
		if !ok || f != float64(int(f)) {
			return fmt.Errorf("parameter %s=%v: want an integer", key, v)
		}
		v = int(f)
	case float64:
		if _, ok := v.(float64); !ok {
			return fmt.Errorf("parameter %s=%v: want a number", key, v)
		}
	case bool:
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("parameter %s=%v: want true or false", key, v)
		}
	case string:
		if _, ok := v.(string); !ok {
			return fmt.Errorf("parameter %s=%v: want a string", key, v)
		}
	}
	p.values[key] = v
	p.set[key] = true
	p.origin[key] = FromResume
	return nil
}

func typeName(v any) string {
	switch v.(type) {
	case int:
		return "an integer"
	case float64:
		return "a number"
	case bool:
		return "true or false"
	}
	return "a string"
}

// Format renders a value for listings.
func Format(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}
