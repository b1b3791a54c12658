package rundir

// Metric names that more than one package writes or reads back (metrics.jsonl
// fields, results.json "metrics" keys, best_metric values). Models name their
// own metrics too (clip.Retrieval's "r_at_K_i2t"); these are the ones the
// trainer, the UI, reports and notebooks look up.
const (
	Loss         = "loss"          // the task's loss; a Record's Loss field.
	Accuracy     = "accuracy"      // top-1 accuracy, 0 to 1.
	Top5Accuracy = "top5_accuracy" // top-5 accuracy, 0 to 1.
	LR           = "lr"            // learning rate of the step (train lines).
	ImgPerS      = "img_per_s"     // training throughput (train lines).
	RAt1I2T      = "r_at_1_i2t"    // image-to-text recall at 1.
	RAt1T2I      = "r_at_1_t2i"    // text-to-image recall at 1.
)
