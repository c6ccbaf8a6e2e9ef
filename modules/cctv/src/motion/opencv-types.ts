// The part of opencv4nodejs this module uses, typed here because the package is loaded from a
// cache at run time rather than installed (its own typings are not there to import).

export interface CvMat {
  readonly rows: number;
  readonly cols: number;
  readonly channels: number;
  cvtColor(code: number): CvMat;
  resize(rows: number, cols: number, fx?: number, fy?: number, interpolation?: number): CvMat;
  gaussianBlur(size: CvSize, sigmaX: number): CvMat;
  threshold(thresh: number, maxVal: number, type: number): CvMat;
  morphologyEx(kernel: CvMat, op: number): CvMat;
  dilate(kernel: CvMat): CvMat;
  bitwiseAnd(other: CvMat): CvMat;
  absdiff(other: CvMat): CvMat;
  countNonZero(): number;
  findContours(mode: number, method: number): CvContour[];
  getData(): Buffer;
  release?(): void;
}

export interface CvContour {
  readonly area: number;
  boundingRect(): { x: number; y: number; width: number; height: number };
  moments(): { m00: number; m10: number; m01: number };
}

export type CvSize = object;

export interface CvBackgroundSubtractor {
  apply(frame: CvMat, learningRate?: number): CvMat;
}

export interface OpenCv {
  version: { major: number; minor: number; revision: number };
  Mat: new (data: Buffer, rows: number, cols: number, type: number) => CvMat;
  Size: new (w: number, h: number) => CvSize;
  BackgroundSubtractorMOG2: new (history?: number, varThreshold?: number, detectShadows?: boolean) => CvBackgroundSubtractor;
  BackgroundSubtractorKNN: new (history?: number, dist2Threshold?: number, detectShadows?: boolean) => CvBackgroundSubtractor;
  getStructuringElement(shape: number, size: CvSize): CvMat;
  imencode(ext: string, mat: CvMat, flags?: number[]): Buffer;
  imdecode(buf: Buffer, flags?: number): CvMat;
  CV_8UC1: number;
  CV_8UC3: number;
  COLOR_BGR2GRAY: number;
  THRESH_BINARY: number;
  MORPH_OPEN: number;
  MORPH_ELLIPSE: number;
  RETR_EXTERNAL: number;
  CHAIN_APPROX_SIMPLE: number;
  INTER_AREA: number;
  IMREAD_COLOR: number;
  IMWRITE_JPEG_QUALITY: number;
}
