package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/mmdna/mmdna/weights"
)

func runExport(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	model := fs.String("model", "", "the model to export: an mmdna run directory (or any model directory)")
	out := fs.String("out", "", "directory to write the exported model into (new or empty)")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	switch {
	case *model == "":
		return bad("-model is required")
	case *out == "":
		return bad("-out is required")
	case fs.NArg() > 0:
		return bad("unexpected arguments %v", fs.Args())
	}
	m, err := weights.Load(*model)
	if err != nil {
		return badInput{err}
	}
	layout, err := weights.Export(m, *out)
	if err != nil {
		return badInput{err}
	}
	fmt.Fprintf(stdout, "wrote %s in %s layout (%s)\n", *out, layout, layoutReader(layout))
	return nil
}

// layoutReader says how PyTorch users read a layout.
func layoutReader(l weights.Layout) string {
	switch l {
	case weights.LayoutHFViT:
		return "transformers.ViTForImageClassification.from_pretrained(dir)"
	case weights.LayoutTimmViT:
		return "timm.create_model(name, pretrained=False, **config['model_args']) + load_state_dict"
	case weights.LayoutHFCLIP:
		return "transformers.CLIPModel.from_pretrained(dir)"
	}
	return string(l)
}
