package experiments

// The task of vilt-shapes: one ViLT (models/vilt) pre-trained with image-text matching
// and masked language modelling on the shapes captions, then fine-tuned on the shapes
// questions, in one run and one graph (pairs.ViLTSource switches the batches at
// pretrain_steps; the losses of the absent tasks are zero).

import (
	"fmt"
	"path/filepath"
	"strings"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/datasets/pairs"
	"github.com/mmdna/mmdna/datasets/shapeworld"
	"github.com/mmdna/mmdna/datasets/text"
	"github.com/mmdna/mmdna/eval"
	"github.com/mmdna/mmdna/models/vilt"
	"github.com/mmdna/mmdna/nn"
	"github.com/mmdna/mmdna/train"
	"github.com/mmdna/mmdna/weights"
)

// viltFamily: ViLT's size and its pre-training.
func viltFamily() Family {
	return Family{Name: "vilt", Params: []Param{
		{"patch", 8, "image patch side in pixels"},
		{"stem", "32,64", "convolutional stem stage widths before the patch embedding, comma-separated; empty: ViLT's linear patch embedding"},
		{"dim", 128, "token width"},
		{"depth", 4, "transformer blocks"},
		{"heads", 4, "attention heads"},
		{"mlp_dim", 512, "MLP width"},
		{"dropout", 0.0, "dropout on the embeddings, after attention and in the MLPs"},
		branchesParam,
		{"pretrain_steps", 1000, "steps of image-text matching + masked language modelling on the captions before the VQA fine-tuning (0: none)"},
		{"mask_prob", 0.15, "pre-training: probability that a candidate caption word is masked (BERT's 80/10/10 corruption)"},
		{"mask_words", "all", "pre-training: the candidate words for masking: all (BERT's), content (the words an answer can hold: colours, shapes, sizes, counts, places; whole words the image decides) or content+relations (and the relation words: left, right, above, below, next, overlapping)"},
		{"words_loss", 0.0, "weight of an image-only bag-of-words loss on the patch embeddings (the content words of the image's captions; vilt.WordsLoss), in every step; 0: none"},
		{"ground_loss", 0.0, "fine-tuning: weight of an auxiliary loss on the text tokens: each noun of a question that names an object says the object's grid cell (vilt.GroundLogits); 0: none"},
		{"relation_loss", 0.0, "fine-tuning: weight of an auxiliary loss on the pooled token of relation questions, which relations (left of, right of, above, below) hold between the two objects named (vilt.RelationLoss); 0: none"},
		{"swapped", 0.0, "pre-training: share of the ITM negatives that are the image's own caption with one colour or shape changed (the rest: another image's caption)"},
		{"mix", 0.0, "after pre-training: share of each batch's rows that stay captions for ITM + MLM beside the questions, in [0, 1)"},
		{"mlm_weight", 1.0, "pre-training: weight of the MLM loss beside the ITM loss"},
		{"eval_size", 500, "images of the eval split whose questions are scored during training (0: all)"},
	}}
}

// viltConfig reads the model's size from the parameters (stem: the parsed stem).
func viltConfig(p *Params, image int, stem []int, tok text.Encoder) (vilt.Config, error) {
	cfg := vilt.Config{Image: image, Channels: 3, Patch: p.Int("patch"), Stem: stem, VocabSize: tok.VocabSize(),
		MaxLen: tok.MaxLen(), Dim: p.Int("dim"), Depth: p.Int("depth"), Heads: p.Int("heads"), MLPDim: p.Int("mlp_dim"),
		Dropout: p.Float("dropout")}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("parameters image_size/patch/stem/dim/depth/heads/mlp_dim/dropout: %w", err)
	}
	return cfg, nil
}

// fitViLTTokenizer fits vilt-shapes' word tokenizer on the world's training captions and
// questions, max_len tokens long (the experiment and its PyTorch peer fit the same one).
func fitViLTTokenizer(w *shapeworld.World, p *Params) (*text.Tokenizer, error) {
	return text.Fit(viltTexts(w.Train), text.Config{MinFreq: 1, MaxLen: p.Int("max_len")})
}

// viltTexts are the texts the tokenizer is fitted on: every training caption and question.
func viltTexts(split *shapeworld.Split) []string {
	var texts []string
	for _, sc := range split.Scenes {
		texts = append(texts, sc.Captions...)
		for _, qa := range sc.QA {
			texts = append(texts, qa.Question)
		}
	}
	return texts
}

func buildViLTShapes(env *Env) (*train.Task, error) {
	p := env.P
	// Parameters that need no data are read first: a typo must not cost the world's
	// generation.
	stem, err := intList(p.String("stem"))
	if err != nil {
		return nil, fmt.Errorf("parameter stem: %w", err)
	}
	if p.Int("pretrain_steps") < 0 || p.Float("mask_prob") <= 0 || p.Float("mask_prob") >= 1 || p.Float("swapped") < 0 || p.Float("swapped") > 1 {
		return nil, fmt.Errorf("parameters pretrain_steps=%d, mask_prob=%g, swapped=%g: want pretrain_steps >= 0, mask_prob in (0, 1), swapped in [0, 1]",
			p.Int("pretrain_steps"), p.Float("mask_prob"), p.Float("swapped"))
	}
	for _, k := range []string{"words_loss", "ground_loss", "relation_loss"} {
		if p.Float(k) < 0 {
			return nil, fmt.Errorf("parameter %s=%g: want >= 0", k, p.Float(k))
		}
	}
	if p.Float("mix") < 0 || p.Float("mix") >= 1 {
		return nil, fmt.Errorf("parameter mix=%g: want a share in [0, 1)", p.Float("mix"))
	}
	if m := p.String("mask_words"); m != "all" && m != "content" && m != "content+relations" {
		return nil, fmt.Errorf("parameter mask_words=%q: want all, content or content+relations", m)
	}
	w, err := generateShapes(env)
	if err != nil {
		return nil, err
	}
	tok, err := fitViLTTokenizer(w, p)
	if err != nil {
		return nil, fmt.Errorf("parameter max_len: %w", err)
	}
	if err := tok.Save(filepath.Join(env.Dir, pairs.TokenizerFile)); err != nil {
		return nil, err
	}
	cfg, err := viltConfig(p, w.Config.Size, stem, tok)
	if err != nil {
		return nil, err
	}
	spec := weights.Spec{Kind: weights.KindViLT, ViLT: cfg, Labels: shapeworld.Answers,
		Preprocess: runPreprocess(w.Config.Size, shapeworld.Mean[:], shapeworld.Std[:])}
	if err := weights.WriteSpec(env.Dir, spec); err != nil {
		return nil, fmt.Errorf("-out %s: %w", env.Dir, err)
	}
	pretrain := p.Int("pretrain_steps")
	if pretrain >= p.Int("steps") {
		return nil, fmt.Errorf("parameter pretrain_steps=%d: must be below steps=%d, which leaves no VQA fine-tuning", pretrain, p.Int("steps"))
	}
	opts := pairs.ViLTOptions{Pretrain: pretrain, MaskProb: p.Float("mask_prob"), Swapped: p.Float("swapped"),
		Forbidden: w.IsHeldOut, Mix: p.Float("mix")}
	content := contentWords(tok)
	switch p.String("mask_words") {
	case "content":
		opts.Only = content
	case "content+relations":
		relations := relationWords(tok)
		opts.Only = func(id int32) bool { return content(id) || relations(id) }
	}
	wordsWeight := p.Float("words_loss")
	if wordsWeight > 0 {
		opts.Words = content
	}
	groundWeight, relationWeight := p.Float("ground_loss"), p.Float("relation_loss")
	if groundWeight > 0 {
		opts.Ground = wordIDs(tok, shapeworld.NounWords)
	}
	opts.Relations = relationWeight > 0
	src := pairs.NewViLTSource(w.Train, tok, p.Int("batch_size"), uint64(p.Int("seed")), opts)
	if src.StepsPerEpoch() < 1 {
		return nil, fmt.Errorf("parameter batch_size=%d: more than the %d training images", src.BatchSize(), w.Train.Images.N)
	}
	env.Log("ViLT: %d words, %d answers; %d text + %d image tokens of width %d, depth %d; %d pre-training steps (ITM + MLM), then VQA",
		tok.VocabSize(), len(shapeworld.Answers), tok.MaxLen(), cfg.ImageTokens(), cfg.Dim, cfg.Depth, pretrain)
	answers := len(shapeworld.Answers)
	// The evaluation's answerer: the answer logits, then the relation and grounding heads
	// when trained (viltAuxMetrics scores them), from one pass of the encoder.
	answer := func(scope *model.Scope, images, ids, mask *Node) []*Node {
		out := vilt.Encode(scope, cfg, images, ids, mask)
		heads := []*Node{vilt.VQALogits(scope, cfg, out.Pooled, answers)}
		if relationWeight > 0 {
			heads = append(heads, vilt.RelationLogits(scope, out.Pooled, shapeworld.NumDirections))
		}
		if groundWeight > 0 {
			heads = append(heads, vilt.GroundLogits(scope, out.Text, len(shapeworld.PositionNames)))
		}
		return heads
	}
	mlmWeight := p.Float("mlm_weight")
	blind := pairs.FitBlind(w.Train)
	// The check's negatives and masking are the training's; the validation split holds
	// the held-out pairs, so nothing is forbidden there. Pretrain: every step pre-trains.
	checkOpts := opts
	checkOpts.Pretrain, checkOpts.Forbidden, checkOpts.Words, checkOpts.Ground, checkOpts.Relations = 1<<30, nil, nil, nil, false
	shapeIDs := wordIDs(tok, shapeworld.ShapeNames[:])
	itmCheck := pairs.NewViLTSource(w.Val, tok, min(128, w.Val.Images.N), uint64(p.Int("seed"))+1, checkOpts)
	return &train.Task{
		Model: func(scope *model.Scope, _ any, in []*Node) []*Node {
			return nn.BranchesOf(scope, p.Int("branches"), in[:3], func(scope *model.Scope, in []*Node) []*Node {
				out := vilt.Encode(scope, cfg, in[0], in[1], in[2])
				preds := []*Node{vilt.ITMLogits(scope, out.Pooled), vilt.MLMLogits(scope, cfg, out.Text),
					vilt.VQALogits(scope, cfg, out.Pooled, answers)}
				if wordsWeight > 0 {
					preds = append(preds, vilt.WordsLogits(scope, cfg, out.Patches))
				}
				if groundWeight > 0 {
					preds = append(preds, vilt.GroundLogits(scope, out.Text, len(shapeworld.PositionNames)))
				}
				if relationWeight > 0 {
					preds = append(preds, vilt.RelationLogits(scope, out.Pooled, shapeworld.NumDirections))
				}
				return preds
			})
		},
		Loss: func(labels, preds []*Node) *Node {
			l := Add(vilt.MaskedCrossEntropy(preds[0], labels[0]), vilt.MaskedCrossEntropy(preds[2], labels[2]))
			l = Add(l, MulScalar(vilt.MaskedCrossEntropy(preds[1], labels[1]), mlmWeight))
			// The optional heads and labels follow in this order (pairs.ViLTSource).
			k := 3
			if wordsWeight > 0 {
				l = Add(l, MulScalar(vilt.WordsLoss(preds[k], labels[k]), wordsWeight))
				k++
			}
			if groundWeight > 0 {
				l = Add(l, MulScalar(vilt.MaskedCrossEntropy(preds[k], labels[k]), groundWeight))
				k++
			}
			if relationWeight > 0 {
				l = Add(l, MulScalar(vilt.RelationLoss(preds[k], labels[k]), relationWeight))
			}
			return l
		},
		Data: src,
		Evaluate: func(ev *train.Evaluation) (train.Metrics, error) {
			m, err := vqaEvaluate(ev, answer, w, p.Int("eval_size"), tok, blind)
			if err != nil {
				return nil, err
			}
			if err := viltPretrainMetrics(ev, cfg, itmCheck, shapeIDs, m); err != nil {
				return nil, err
			}
			if err := viltAuxMetrics(ev, tok, relationWeight > 0, opts.Ground, m); err != nil {
				return nil, err
			}
			return m, nil
		},
		Report: vqaReport,
	}, nil
}

// contentWords accepts the ids of the words an answer of the shapes world can hold
// (colours, shapes, sizes, counts and the words of places; not yes or no): the words
// a caption cannot be completed with without the image.
func contentWords(tok *text.Tokenizer) func(id int32) bool {
	var words []string
	for _, a := range shapeworld.Answers {
		if a != "yes" && a != "no" {
			words = append(words, strings.Fields(a)...)
		}
	}
	return wordIDs(tok, words)
}

// relationWords accepts the ids of shapeworld.RelationNames, the words that say where
// two objects lie relative to each other.
func relationWords(tok *text.Tokenizer) func(id int32) bool {
	return wordIDs(tok, shapeworld.RelationNames[:])
}

// wordIDs accepts the ids tok gives words (those it knows).
func wordIDs(tok *text.Tokenizer, words []string) func(id int32) bool {
	ids := map[int32]bool{}
	for _, w := range words {
		if id := tok.ID(w); id != text.UNKID {
			ids[id] = true
		}
	}
	return func(id int32) bool { return ids[id] }
}

// viltPretrainMetrics adds the pre-training heads' accuracies on four fixed batches of
// validation captions: itm_accuracy (half matching, half not), mlm_accuracy (the
// masked words of the matching captions recovered) and mlm_shape_accuracy (the same
// over the masked words in shapes, the ids of the shape words: whether the model reads
// an object's shape off the image, which no caption's other words tell).
func viltPretrainMetrics(ev *train.Evaluation, cfg vilt.Config, src *pairs.ViLTSource, shapes func(id int32) bool, m train.Metrics) error {
	exec, err := train.EvalExec(ev, func(scope *model.Scope, images, ids, mask *Node) []*Node {
		out := vilt.Encode(scope, cfg, images, ids, mask)
		return []*Node{ArgMax(vilt.ITMLogits(scope, out.Pooled), -1), ArgMax(vilt.MLMLogits(scope, cfg, out.Text), -1)}
	})
	if err != nil {
		return err
	}
	var itmRight, itmN, mlmRight, mlmN, shapeRight, shapeN int
	for step := range 4 {
		in, labels, err := src.Batch(step)
		if err != nil {
			return err
		}
		outs, err := exec.Exec(in[0], in[1], in[2])
		if err != nil {
			return err
		}
		itmPred, mlmPred := flatInts(outs[0]), flatInts(outs[1])
		itm, mlm := tensors.MustCopyFlatData[int32](labels[0]), tensors.MustCopyFlatData[int32](labels[1])
		for i, l := range itm {
			itmN++
			if itmPred[i] == l {
				itmRight++
			}
		}
		for i, l := range mlm {
			if l >= 0 {
				mlmN++
				if mlmPred[i] == l {
					mlmRight++
				}
				if shapes(l) {
					shapeN++
					if mlmPred[i] == l {
						shapeRight++
					}
				}
			}
		}
	}
	m["itm_accuracy"] = float64(itmRight) / float64(max(itmN, 1))
	m["mlm_accuracy"] = float64(mlmRight) / float64(max(mlmN, 1))
	m["mlm_shape_accuracy"] = float64(shapeRight) / float64(max(shapeN, 1))
	return nil
}

// flatInts reads an ArgMax output (int32) and frees it.
func flatInts(t *tensors.Tensor) []int32 {
	defer t.FinalizeAll()
	return tensors.MustCopyFlatData[int32](t)
}

// viltAuxMetrics scores the auxiliary heads that the VQA evaluation ran beside the
// answer (vqaResult.heads: the relation head if relation, then the grounding head if
// nouns, the training's ViLTOptions.Ground, is not nil) on its questions that name
// objects: relation_holding_accuracy, how often the relation head (a logit above 0)
// tells rightly whether each of the four relations holds in a relation question, and
// ground_accuracy, how often the grounding head puts a named object's noun in its
// object's cell. They tell a model that sees where the objects lie but does not answer
// from it from one that does not see it.
func viltAuxMetrics(ev *train.Evaluation, tok text.Encoder, relation bool, nouns func(id int32) bool, m train.Metrics) error {
	res, ok := ev.Result.(*vqaResult)
	if !ok {
		return fmt.Errorf("vilt-shapes: the VQA evaluation left %T, not its items", ev.Result)
	}
	naming := 0 // questions that name objects; every relation question names two.
	for _, it := range res.items {
		if len(it.QA.Cells) > 0 {
			naming++
		}
	}
	ground := nouns != nil
	if naming == 0 || (!relation && !ground) {
		return nil
	}
	want := 0
	for _, on := range []bool{relation, ground} {
		if on {
			want++
		}
	}
	if len(res.heads) != want {
		return fmt.Errorf("vilt-shapes: the VQA evaluation kept %d auxiliary heads, want %d", len(res.heads), want)
	}
	if relation {
		right, n := 0, 0
		for i, it := range res.items {
			if it.QA.Kind != shapeworld.RelationQ {
				continue
			}
			for r, h := range it.QA.Holding {
				n++
				if (res.heads[0].Data[i*shapeworld.NumDirections+r] > 0) == h {
					right++
				}
			}
		}
		m["relation_holding_accuracy"] = float64(right) / float64(max(n, 1))
	}
	if ground {
		// The labels the training uses, per token of the questions: [items*L]; a
		// question that names no object has none.
		cells := len(shapeworld.PositionNames)
		texts, named := make([]string, len(res.items)), make([][]int, len(res.items))
		for i, it := range res.items {
			texts[i], named[i] = it.QA.Question, it.QA.Cells
		}
		ids, _ := tok.EncodeBatch(texts)
		logits := res.heads[len(res.heads)-1].Data // [items, L*cells], row-major: token t's logits at t*cells.
		right, n := 0, 0
		for t, c := range pairs.GroundLabels(ids, named, tok.MaxLen(), nouns) {
			if c >= 0 {
				n++
				if eval.Argmax(logits[t*cells:(t+1)*cells]) == int(c) {
					right++
				}
			}
		}
		m["ground_accuracy"] = float64(right) / float64(max(n, 1))
	}
	return nil
}
