export {
  cropJpeg,
  decodeJpeg,
  sampleJpeg,
  isSampleSize,
  available,
  unavailableReason,
  libjpegTurboVersion,
  type CropRegion,
  type CropOptions,
  type Crop,
  type DecodeOptions,
  type RgbPixels,
} from './crop-jpeg.js';
export { JpegCropError, type JpegCropErrorCode } from './errors.js';
