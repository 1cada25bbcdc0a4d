import { type Data, type DataType, Vector } from 'apache-arrow';

/** Applies a per-chunk kernel to every chunk of `vector`, giving a new vector (chunks kept apart). */
export function mapChunks<T extends DataType>(vector: Vector, kernel: (data: Data) => Data<T>): Vector<T> {
  return new Vector<T>(vector.data.map(kernel));
}
