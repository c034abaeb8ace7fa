/** Where `autotune model make` writes the lab detector, and where the commands look for a model by default. */
export const DEFAULT_MODEL_PATH = 'models/lab-detector.onnx';
