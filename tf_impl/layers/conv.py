"""Conv2D, channels last: ``tf.nn.convolution`` with TensorFlow's own "SAME" / "VALID" padding."""

import tensorflow as tf

from reference.layers.conv import conv2d_geometry


def conv2d_forward(params, x, strides=1, padding="valid", dilation_rate=1):
    kernel = params["kernel"]
    strides, dilation, *_ = conv2d_geometry(kernel.shape, x.shape, strides, padding, dilation_rate)
    y = tf.nn.convolution(x, kernel, strides, padding.upper(), dilations=dilation)
    return y + params["bias"]
