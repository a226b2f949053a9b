// Command offsiteupload uploads committed archives with the offsite package and
// prints what each upload did, one JSON line each: scripts/bench-offsite.sh runs
// it under GNU time to measure an upload's wall time and peak memory on its own.
//
//	offsiteupload [-create-bucket] [-concurrency N] ARCHIVE...
//
// Settings come from BT_S3_ENDPOINT, BT_S3_BUCKET, BT_S3_ACCESS_KEY,
// BT_S3_SECRET_KEY and BT_S3_INSECURE=true (a local test server).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/baktainer/baktainer/offsite"
)

func main() {
	createBucket := flag.Bool("create-bucket", false, "create the bucket first (a benchmark's fresh server)")
	concurrency := flag.Int("concurrency", 0, "parts sent at once (0: offsite.DefaultConcurrency)")
	flag.Parse()
	s := offsite.Settings{
		Endpoint:  os.Getenv(offsite.EnvEndpoint),
		Bucket:    os.Getenv(offsite.EnvBucket),
		AccessKey: os.Getenv(offsite.EnvAccessKey),
		SecretKey: os.Getenv(offsite.EnvSecretKey),
		Insecure:  os.Getenv(offsite.EnvInsecure) == "true",
		Region:    "us-east-1",
	}
	if err := run(context.Background(), s, *createBucket, offsite.Options{Concurrency: *concurrency}, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "offsiteupload:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, s offsite.Settings, createBucket bool, opts offsite.Options, archives []string) error {
	if createBucket {
		c, err := minio.New(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""), Secure: !s.Insecure, Region: s.Region})
		if err != nil {
			return err
		}
		if err := c.MakeBucket(ctx, s.Bucket, minio.MakeBucketOptions{Region: s.Region}); err != nil {
			return fmt.Errorf("create bucket %s: %w", s.Bucket, err)
		}
	}
	remote, err := offsite.New(s, opts)
	if err != nil {
		return err
	}
	for _, path := range archives {
		res, err := remote.Upload(ctx, path)
		if err != nil {
			return err
		}
		if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
			return err
		}
	}
	return nil
}
