import { describe, expect, it } from 'vitest';
import { planShards } from './shard-plan.js';
import type { ImagePlace } from './shard-plan.js';

const files = ['/d/a.parquet', '/d/b.parquet'];
function places(n: number, perFile: number, stride = 1): ImagePlace[] {
  return Array.from({ length: n }, (_, i) => ({ file: Math.floor(i / perFile), row: (i % perFile) * stride, imageId: `img${i}` }));
}

describe('planShards', () => {
  it('splits selected images into balanced contiguous shards, each image exactly once', () => {
    const shards = planShards(files, places(10, 6, 3), { shards: 3 });
    expect(shards.map((s) => s.images)).toEqual([4, 3, 3]);
    expect(shards.map((s) => s.id)).toEqual(['00000', '00001', '00002']);
    const ids = shards.flatMap((s) => s.segments.flatMap((g) => g.imageIds));
    expect(ids).toEqual(Array.from({ length: 10 }, (_, i) => `img${i}`));
    // shard 1 spans both files: one segment per file, row ranges cover exactly its images
    expect(shards[1].segments).toEqual([
      { path: '/d/a.parquet', rowStart: 12, rowEnd: 16, imageIds: ['img4', 'img5'] },
      { path: '/d/b.parquet', rowStart: 0, rowEnd: 1, imageIds: ['img6'] },
    ]);
  });

  it('sizes shards by imagesPerShard when no count is given', () => {
    expect(planShards(files, places(10, 10), { imagesPerShard: 4 }).map((s) => s.images)).toEqual([4, 3, 3]);
    expect(planShards(files, places(10, 10), { imagesPerShard: 100 })).toHaveLength(1);
  });

  it('keeps N shards when there are fewer images (empty shards write empty parts)', () => {
    const shards = planShards(files, places(2, 10), { shards: 4 });
    expect(shards.map((s) => s.images)).toEqual([1, 0, 1, 0]);
    expect(planShards(files, [], {})).toEqual([{ index: 0, id: '00000', images: 0, segments: [] }]);
  });

  it('is deterministic, so every `run --shard i/N` process agrees', () => {
    expect(planShards(files, places(97, 40), { shards: 7 })).toEqual(planShards(files, places(97, 40), { shards: 7 }));
  });

  it('rejects bad counts and unsorted input with coded errors', () => {
    expect(() => planShards(files, places(3, 3), { shards: 0 })).toThrow(expect.objectContaining({ code: 'BAD_SHARD' }));
    expect(() => planShards(files, places(3, 3), { imagesPerShard: 1.5 })).toThrow(expect.objectContaining({ code: 'BAD_SHARD' }));
    expect(() => planShards(files, [...places(3, 3)].reverse(), {})).toThrow(expect.objectContaining({ code: 'BAD_SHARD' }));
  });
});
