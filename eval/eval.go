// Package eval is mmdna's evaluation: what an experiment computes from a model's
// outputs on held-out data, apart from how the model was trained.
//
//   - classification metrics from logits: accuracy, top-5, cross-entropy, per-class
//     accuracy and the confusion matrix (classify.go);
//   - retrieval with several captions per image: recall@K both ways and the median
//     rank (retrieval.go), and the contrastive loss of a similarity matrix in batches
//     (contrastive.go);
//   - CLIP's zero-shot classifier: prompts from templates, open_clip's averaged and
//     renormalised class weights (zeroshot.go);
//   - linear probes on frozen features (probe.go);
//   - Run, the one loop that runs an executor over a set in chunks with one padding
//     policy (run.go).
//
// It imports no experiment and not the training loop: experiments call it from their
// Evaluate functions with the executors they build. Captioning metrics (BLEU,
// CIDEr-D) belong here too when they come.
package eval
