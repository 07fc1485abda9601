"""The seed project's method: a PIL crop per box (as its Spark UDF did), on the same images and boxes.
Usage: python3 pil_crop.py IMAGES_DIR BOXES_JSON PROCESSES"""
import io, json, os, sys, time
from multiprocessing import Pool
from PIL import Image


def crop(b):
    with open(os.path.join(IMAGES, b["ImageID"] + ".jpg"), "rb") as f:
        data = f.read()
    im = Image.open(io.BytesIO(data)).convert("RGB")
    w, h = im.size
    box = (round(b["XMin"] * w), round(b["YMin"] * h), max(round(b["XMin"] * w) + 1, round(b["XMax"] * w)), max(round(b["YMin"] * h) + 1, round(b["YMax"] * h)))
    out = io.BytesIO()
    im.crop(box).save(out, "JPEG", quality=90)
    return len(out.getvalue())


IMAGES = sys.argv[1]
if __name__ == "__main__":
    boxes = json.load(open(sys.argv[2]))
    procs = int(sys.argv[3])
    t0 = time.perf_counter()
    if procs == 1:
        n = sum(1 for b in boxes if crop(b))
    else:
        with Pool(procs) as pool:
            n = sum(1 for s in pool.imap(crop, boxes, chunksize=16) if s)
    print(json.dumps({"chips": n, "seconds": time.perf_counter() - t0}))
