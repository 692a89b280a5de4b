export { MAX_GRID_SIDE, imageGrid, stackVertically, toByte, type GrayImage, type GridOptions } from "./grid.ts";
export { decodePng, encodePng, readPng, writePng } from "./png.ts";
