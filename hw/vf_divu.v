// vitfpga leaf cell: unsigned restoring divider, one quotient bit per cycle.
//   quo = floor(num / den), den > 0.
// start (one cycle) loads num/den; the quotient is valid, with done high for one cycle, N cycles
// after the start cycle's edge: start in cycle s -> done and quo in cycle s + N + 1.
module vf_divu #(
    parameter integer N = 41,
    parameter integer D = 30
) (
    input  wire         clk,
    input  wire         start,
    input  wire [N-1:0] num,
    input  wire [D-1:0] den,
    output reg          done,
    output reg  [N-1:0] quo
);
    localparam integer CW = $clog2(N + 1);
    reg [D-1:0]  rem = {D{1'b0}};
    reg [D-1:0]  den_q = {D{1'b0}};
    reg [N-1:0]  num_q = {N{1'b0}};
    reg [CW-1:0] cnt = {CW{1'b0}};
    wire [D:0]   r2 = {rem, num_q[N-1]};
    wire         ge = (r2 >= {1'b0, den_q});
    wire [D:0]   r3 = ge ? (r2 - {1'b0, den_q}) : r2;
    initial begin done = 1'b0; quo = {N{1'b0}}; end
    always @(posedge clk) begin
        done <= 1'b0;
        if (start) begin
            rem   <= {D{1'b0}};
            den_q <= den;
            num_q <= num;
            cnt   <= N[CW-1:0];
            quo   <= {N{1'b0}};
        end else if (cnt != {CW{1'b0}}) begin
            rem   <= r3[D-1:0];
            num_q <= {num_q[N-2:0], 1'b0};
            quo   <= {quo[N-2:0], ge};
            cnt   <= cnt - 1'b1;
            done  <= (cnt == {{(CW-1){1'b0}}, 1'b1});
        end
    end
    /* verilator lint_off UNUSED */
    wire unused_r3_msb = r3[D];
    /* verilator lint_on UNUSED */
endmodule
