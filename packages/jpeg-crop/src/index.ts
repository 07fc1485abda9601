export { cropJpeg, available, unavailableReason, libjpegTurboVersion, type CropRegion, type CropOptions, type Crop } from './crop-jpeg.js';
export { JpegCropError, type JpegCropErrorCode } from './errors.js';
